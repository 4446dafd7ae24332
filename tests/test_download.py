"""Downloading and unpacking the dataset archive, against a local HTTP server (never the network)."""

import hashlib
import zipfile
from pathlib import Path

import pytest

import practicum.data
import practicum.download
from conftest import TINY_COUNTS, closed_port_url, make_photo_tree, tiny_spec_for, zip_tree
from practicum.download import DownloadError, check_zip, extract_archive, fetch_archive

pytestmark = pytest.mark.usefixtures("isolated_paths")


@pytest.fixture(scope="module")
def archive_bytes(tmp_path_factory) -> bytes:
    """A zip of a tiny tree, laid out like the official archive (``cats_and_dogs_filtered/...``)."""
    root = make_photo_tree(tmp_path_factory.mktemp("tree") / "cats_and_dogs_filtered")
    return zip_tree(root, zipfile.ZIP_DEFLATED)


def spec_for(urls, data: bytes, **changes):
    return tiny_spec_for(urls=tuple(urls), size=changes.pop("size", len(data)), **changes)


def leftovers(folder: Path) -> list[str]:
    """Names in ``folder`` that a failed download or extraction must not leave behind."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".part")


def assert_one_line_with_fix(error: DownloadError) -> None:
    message = str(error)
    assert "\n" not in message
    assert "PRACTICUM_DATA_DIR" in message


class ProgressRecorder:
    """Stands in for tqdm: records the total and every update."""
    instances: list["ProgressRecorder"] = []

    def __init__(self, total=None, **kwargs):
        self.total, self.kwargs, self.updates = total, kwargs, []
        ProgressRecorder.instances.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        self.updates.append(n)


# --- fetching ---------------------------------------------------------------------------------

def test_download_success_verifies_and_reports_progress(http_server, archive_bytes, tmp_path, monkeypatch):
    http_server.routes["/ok.zip"] = archive_bytes
    spec = spec_for([http_server.url("/ok.zip")], archive_bytes)
    ProgressRecorder.instances = []
    monkeypatch.setattr(practicum.download, "tqdm", ProgressRecorder)
    monkeypatch.setattr(practicum.download, "CHUNK", 4096)  # several chunks, several updates

    archive = fetch_archive(spec, tmp_path / "downloads")

    assert archive == tmp_path / "downloads" / "tiny.zip"
    assert archive.read_bytes() == archive_bytes
    assert leftovers(archive.parent) == []
    (bar,) = ProgressRecorder.instances
    assert bar.total == len(archive_bytes)
    assert sum(bar.updates) == len(archive_bytes) and len(bar.updates) > 1
    assert "tiny" in bar.kwargs["desc"]


def test_download_shows_a_real_progress_bar(http_server, archive_bytes, tmp_path, capsys):
    http_server.routes["/ok.zip"] = archive_bytes
    fetch_archive(spec_for([http_server.url("/ok.zip")], archive_bytes), tmp_path / "downloads")
    err = capsys.readouterr().err
    assert "Downloading tiny" in err and "100%" in err


def test_second_fetch_reuses_the_verified_archive(http_server, archive_bytes, tmp_path):
    http_server.routes["/ok.zip"] = archive_bytes
    spec = spec_for([http_server.url("/ok.zip")], archive_bytes)
    first = fetch_archive(spec, tmp_path / "downloads")
    second = fetch_archive(spec, tmp_path / "downloads")
    assert first == second and second.read_bytes() == archive_bytes
    assert http_server.hits["/ok.zip"] == 1


def test_an_archive_of_the_wrong_size_on_disk_is_downloaded_again(http_server, archive_bytes, tmp_path):
    http_server.routes["/ok.zip"] = archive_bytes
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "tiny.zip").write_bytes(archive_bytes[:100])  # e.g. left by an older, broken tool
    archive = fetch_archive(spec_for([http_server.url("/ok.zip")], archive_bytes), downloads)
    assert archive.read_bytes() == archive_bytes
    assert http_server.hits["/ok.zip"] == 1


def test_sha256_is_checked_when_the_registry_has_one(http_server, archive_bytes, tmp_path):
    http_server.routes["/ok.zip"] = archive_bytes
    good = hashlib.sha256(archive_bytes).hexdigest()
    assert fetch_archive(spec_for([http_server.url("/ok.zip")], archive_bytes, sha256=good), tmp_path / "a").exists()
    with pytest.raises(DownloadError, match="SHA-256"):
        fetch_archive(spec_for([http_server.url("/ok.zip")], archive_bytes, sha256="0" * 64), tmp_path / "b")
    assert not (tmp_path / "b" / "tiny.zip").exists() and leftovers(tmp_path / "b") == []


def test_server_error_falls_through_to_the_second_url(http_server, archive_bytes, tmp_path):
    http_server.routes["/broken.zip"] = 500
    http_server.routes["/ok.zip"] = archive_bytes
    spec = spec_for([http_server.url("/broken.zip"), http_server.url("/ok.zip")], archive_bytes)
    archive = fetch_archive(spec, tmp_path / "downloads")
    assert archive.read_bytes() == archive_bytes
    assert http_server.hits["/broken.zip"] == 1 and http_server.hits["/ok.zip"] == 1


def test_when_every_url_fails_one_download_error_names_them_and_the_fix(http_server, archive_bytes, tmp_path):
    http_server.routes["/a.zip"] = 500
    urls = [http_server.url("/a.zip"), http_server.url("/missing.zip")]  # 500, then 404
    with pytest.raises(DownloadError) as caught:
        fetch_archive(spec_for(urls, archive_bytes), tmp_path / "downloads")
    assert_one_line_with_fix(caught.value)
    assert all(url in str(caught.value) for url in urls)
    assert "Not Found" in str(caught.value) and "Internal Server Error" in str(caught.value)
    assert not (tmp_path / "downloads" / "tiny.zip").exists()
    assert leftovers(tmp_path / "downloads") == []


@pytest.mark.parametrize("url", [closed_port_url(), "not-a-url", "ftp://127.0.0.1:1/x.zip"], ids=["closed-port", "not-a-url", "ftp"])
def test_unreachable_or_malformed_url_is_a_download_error(url, archive_bytes, tmp_path):
    with pytest.raises(DownloadError) as caught:
        fetch_archive(spec_for([url], archive_bytes), tmp_path / "downloads", timeout=5)
    assert_one_line_with_fix(caught.value)


def _short_body(handler):
    """Announce the full length, send half, hang up."""
    body = handler.server_body
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body[: len(body) // 2])
    handler.close_connection = True


def _chunked_cut_off(handler):
    """Chunked transfer encoding, closed in the middle of a chunk (http.client: IncompleteRead)."""
    body = handler.server_body
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    handler.wfile.write(f"{len(body):x}\r\n".encode() + body[: len(body) // 2])
    handler.close_connection = True


@pytest.mark.parametrize("respond", [_short_body, _chunked_cut_off], ids=["content-length", "chunked"])
def test_truncated_body_is_a_download_error_and_falls_through(respond, http_server, archive_bytes, tmp_path):
    def route(handler):
        handler.server_body = archive_bytes
        respond(handler)

    http_server.routes["/cut.zip"] = route
    http_server.routes["/ok.zip"] = archive_bytes
    downloads = tmp_path / "downloads"

    with pytest.raises(DownloadError) as caught:
        fetch_archive(spec_for([http_server.url("/cut.zip")], archive_bytes), downloads)
    assert_one_line_with_fix(caught.value)
    assert not (downloads / "tiny.zip").exists() and leftovers(downloads) == []

    archive = fetch_archive(spec_for([http_server.url("/cut.zip"), http_server.url("/ok.zip")], archive_bytes), downloads)
    assert archive.read_bytes() == archive_bytes


def test_wrong_size_is_a_download_error(http_server, archive_bytes, tmp_path):
    http_server.routes["/ok.zip"] = archive_bytes
    with pytest.raises(DownloadError) as caught:
        fetch_archive(spec_for([http_server.url("/ok.zip")], archive_bytes, size=len(archive_bytes) + 1), tmp_path / "d")
    assert f"{len(archive_bytes):,} bytes" in str(caught.value)
    assert_one_line_with_fix(caught.value)
    assert not (tmp_path / "d" / "tiny.zip").exists() and leftovers(tmp_path / "d") == []


def test_a_web_page_instead_of_a_zip_is_a_download_error(http_server, tmp_path):
    page = b"<html>" + b"sign in to continue " * 50 + b"</html>"
    http_server.routes["/login"] = page
    with pytest.raises(DownloadError, match="not a readable zip"):
        fetch_archive(spec_for([http_server.url("/login")], page), tmp_path / "d")
    assert not (tmp_path / "d" / "tiny.zip").exists() and leftovers(tmp_path / "d") == []


# --- zip integrity ----------------------------------------------------------------------------

def _member_data_offset(data: bytes, index: int = -1) -> tuple[zipfile.ZipInfo, int]:
    """The ZipInfo of a member and where its (compressed) data starts in ``data``."""
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = [i for i in zf.infolist() if not i.is_dir()][index]
    header = data[info.header_offset: info.header_offset + 30]
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    return info, info.header_offset + 30 + name_length + extra_length


def corrupt_member(data: bytes, compression: int) -> tuple[bytes, str]:
    """``data`` with one member's stored bytes damaged (same size); returns it and the member name."""
    info, start = _member_data_offset(data)
    damaged = bytearray(data)
    if compression == zipfile.ZIP_STORED:
        damaged[start + info.compress_size // 2] ^= 0xFF  # readable, but the CRC-32 no longer matches
    else:
        damaged[start] = 0xFF  # deflate block type 3 does not exist: zlib refuses the stream
    return bytes(damaged), info.filename


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["crc", "deflate"])
def test_corrupt_member_is_caught_by_check_zip(compression, tmp_path):
    root = make_photo_tree(tmp_path / "tree" / "cats_and_dogs_filtered")
    (root / "notes.txt").write_text("hello cats and dogs " * 200)  # compressible, so deflate is used
    data, name = corrupt_member(zip_tree(root, compression), compression)
    archive = tmp_path / "damaged.zip"
    archive.write_bytes(data)
    with pytest.raises(DownloadError) as caught:
        check_zip(archive)
    assert "damaged.zip" in str(caught.value)
    if compression == zipfile.ZIP_STORED:
        assert name in str(caught.value)


def test_download_with_a_corrupt_member_is_rejected(http_server, tmp_path):
    root = make_photo_tree(tmp_path / "tree" / "cats_and_dogs_filtered")
    data, _ = corrupt_member(zip_tree(root, zipfile.ZIP_STORED), zipfile.ZIP_STORED)
    http_server.routes["/bad.zip"] = data
    downloads = tmp_path / "downloads"
    with pytest.raises(DownloadError) as caught:
        fetch_archive(spec_for([http_server.url("/bad.zip")], data), downloads)
    assert "corrupt" in str(caught.value)
    assert_one_line_with_fix(caught.value)
    assert not (downloads / "tiny.zip").exists() and leftovers(downloads) == []


def test_check_zip_accepts_a_good_archive(archive_bytes, tmp_path):
    archive = tmp_path / "good.zip"
    archive.write_bytes(archive_bytes)
    check_zip(archive)


# --- extraction -------------------------------------------------------------------------------

def test_extract_unpacks_the_dataset_folder_into_place(archive_bytes, tmp_path, tiny_spec):
    archive = tmp_path / "tiny.zip"
    archive.write_bytes(archive_bytes)
    destination = tmp_path / "cache" / "cats_and_dogs_filtered"
    assert extract_archive(archive, tiny_spec, destination) == destination
    for split, counts in TINY_COUNTS.items():
        for class_name, count in counts.items():
            assert len(list((destination / split / class_name).glob("*.jpg"))) == count
    assert leftovers(destination.parent) == []
    practicum.data.check_layout(destination, tiny_spec)  # no warning, no error


@pytest.mark.parametrize("interruption", [OSError(28, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "ctrl-c"])
def test_interrupted_extraction_leaves_nothing_behind(interruption, archive_bytes, tmp_path, tiny_spec, monkeypatch):
    archive = tmp_path / "tiny.zip"
    archive.write_bytes(archive_bytes)
    destination = tmp_path / "cache" / "cats_and_dogs_filtered"
    written = []

    def extract_some_then_fail(self, path=None, members=None, pwd=None):
        for info in self.infolist()[:5]:
            written.append(self.extract(info, path))
        raise interruption

    monkeypatch.setattr(zipfile.ZipFile, "extractall", extract_some_then_fail)
    expected = DownloadError if isinstance(interruption, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as caught:
        extract_archive(archive, tiny_spec, destination)
    if expected is DownloadError:
        assert "delete it and download again" in str(caught.value)
    assert len(written) == 5  # it really was interrupted midway
    assert not destination.exists()
    assert list(destination.parent.iterdir()) == []  # no staging folder either


def test_archive_without_the_dataset_folder_is_rejected_cleanly(tmp_path, tiny_spec):
    root = make_photo_tree(tmp_path / "tree" / "something_else")
    archive = tmp_path / "tiny.zip"
    archive.write_bytes(zip_tree(root))
    destination = tmp_path / "cache" / "cats_and_dogs_filtered"
    with pytest.raises(DownloadError, match="cats_and_dogs_filtered"):
        extract_archive(archive, tiny_spec, destination)
    assert not destination.exists() and list(destination.parent.iterdir()) == []


def test_extracting_a_damaged_archive_is_a_download_error(tmp_path, tiny_spec):
    root = make_photo_tree(tmp_path / "tree" / "cats_and_dogs_filtered")
    (root / "notes.txt").write_text("hello cats and dogs " * 200)
    data, _ = corrupt_member(zip_tree(root, zipfile.ZIP_DEFLATED), zipfile.ZIP_DEFLATED)
    archive = tmp_path / "tiny.zip"
    archive.write_bytes(data)
    destination = tmp_path / "cache" / "cats_and_dogs_filtered"
    with pytest.raises(DownloadError, match="delete it and download again"):
        extract_archive(archive, tiny_spec, destination)
    assert not destination.exists() and list(destination.parent.iterdir()) == []


# --- the whole path: dataset_root() without PRACTICUM_DATA_DIR ---------------------------------

def test_dataset_root_downloads_once_into_the_cache(http_server, archive_bytes, isolated_paths, use_spec):
    http_server.routes["/broken.zip"] = 404
    http_server.routes["/ok.zip"] = archive_bytes
    use_spec(spec_for([http_server.url("/broken.zip"), http_server.url("/ok.zip")], archive_bytes))

    root = practicum.data.dataset_root()
    assert root == isolated_paths.cache / "cats_and_dogs_filtered"
    files, labels = practicum.data.list_images("validation")
    assert len(files) == 8 and labels.tolist() == [0] * 4 + [1] * 4

    practicum.data._checked_roots.clear()  # as in a new process
    assert practicum.data.dataset_root() == root
    assert http_server.hits["/ok.zip"] == 1
    assert leftovers(isolated_paths.cache) == [] and leftovers(isolated_paths.cache / "downloads") == []


def test_dataset_root_when_the_download_fails(http_server, archive_bytes, isolated_paths, use_spec):
    use_spec(spec_for([http_server.url("/gone.zip")], archive_bytes))
    with pytest.raises(DownloadError) as caught:
        practicum.data.load_arrays("train", 16)
    assert_one_line_with_fix(caught.value)
    assert not (isolated_paths.cache / "cats_and_dogs_filtered").exists()
