"""Download and unpack a dataset archive so that an interruption never leaves half a dataset.

The archive is streamed into ``<cache>/downloads/<name>.zip.<pid>.part`` (one per process, so two
notebooks starting at once never write into one file) with a progress bar, checked (exact byte size,
optional SHA-256, the CRC-32 of every member), extracted into a temporary folder beside its
destination and only then renamed into place. A failed step removes what it wrote and
raises DownloadError with one line that says what went wrong and what to do.
"""

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

from tqdm.auto import tqdm

from practicum.errors import CourseError
from practicum.registry import DatasetSpec

CHUNK = 1 << 20
#: What reading a damaged zip can raise: a bad CRC or header (BadZipFile), damaged deflate data
#: (zlib.error), a member cut short (EOFError), a nonsensical header (ValueError, NotImplementedError).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


class DownloadError(CourseError, RuntimeError):
    """The dataset could not be fetched or unpacked; the message names the cause and the fix."""


def fetch_archive(spec: DatasetSpec, downloads: Path, timeout: float = 60) -> Path:
    """Return a verified copy of the dataset's zip, downloading it from the first URL that works."""
    downloads.mkdir(parents=True, exist_ok=True)
    archive = downloads / f"{spec.name}.zip"
    if archive.exists() and archive.stat().st_size == spec.size:
        return archive
    failures = []
    for url in spec.urls:
        try:
            _download(url, archive, spec, timeout)
            return archive
        except DownloadError as error:
            failures.append(f"{url}: {error}")
    raise DownloadError(
        f"could not download {spec.name} ({'; '.join(failures)}); "
        "check your connection, or set PRACTICUM_DATA_DIR to a folder holding the unzipped dataset"
    )


def _download(url: str, archive: Path, spec: DatasetSpec, timeout: float) -> None:
    part = archive.with_name(f"{archive.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or spec.size)
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"Downloading {spec.name}") as bar:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        size = part.stat().st_size
        if size != spec.size:
            raise DownloadError(f"got {size:,} bytes, expected {spec.size:,} (truncated or wrong file)")
        if spec.sha256 and digest.hexdigest() != spec.sha256:
            raise DownloadError(f"SHA-256 {digest.hexdigest()} does not match the registry's {spec.sha256}")
        check_zip(part)
        part.replace(archive)
    except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException, ValueError) as error:
        # HTTPException: the connection closed mid-body (IncompleteRead); ValueError: a malformed URL
        raise DownloadError(str(getattr(error, "reason", error)) or type(error).__name__) from error
    finally:
        part.unlink(missing_ok=True)


def check_zip(archive: Path) -> None:
    """Raise DownloadError unless every member of the zip reads back with the right CRC-32."""
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = zf.testzip()
    except _ZIP_ERRORS as error:
        raise DownloadError(f"{archive.name} is not a readable zip ({error})") from error
    if bad is not None:
        raise DownloadError(f"{archive.name}: member {bad} is corrupt")


def extract_archive(archive: Path, spec: DatasetSpec, destination: Path) -> Path:
    """Unpack ``spec.folder`` from the archive to ``destination`` atomically; return destination."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=destination.parent))
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
        unpacked = staging / spec.folder
        if not unpacked.is_dir():
            raise DownloadError(f"{archive}: has no top-level folder {spec.folder}/; delete it and download again")
        unpacked.replace(destination)
    except _ZIP_ERRORS as error:
        if destination.is_dir():  # another process unpacked the same archive first: use its copy
            return destination
        raise DownloadError(f"could not extract {archive} ({error}); delete it and download again") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination
