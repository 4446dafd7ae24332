# nbgrader's settings for the course's JupyterLab (`practicum lab` puts this folder on JUPYTER_CONFIG_PATH).
c = get_config()  # noqa: F821 — nbgrader provides it

# Validate runs the whole notebook; nbgrader's default of 30 s a cell would stop lessons 4-5's
# training cells even on the FAST budget that validation uses.
c.Execute.timeout = 600
