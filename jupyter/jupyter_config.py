# Configuration of `make lab`, read by every Jupyter command that the Makefile starts with this
# folder on JUPYTER_CONFIG_PATH (`jupyter trust`, `jupyter lab`). See README.md beside this file.
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Trust: `make lab` signs the book's notebooks first, so that their stored widgets show without a
# run. The key and the signatures live in the environment's own data folder (.venv/share/jupyter),
# not in the reader's home. (Files, not `data_dir`: `jupyter trust` sets the notary's data_dir itself.)
DATA = Path(sys.prefix) / "share" / "jupyter"
c.NotebookNotary.db_file = str(DATA / "nbsignatures.db")  # noqa: F821 (c: the configuration)
c.NotebookNotary.secret_file = str(DATA / "notebook_secret")  # noqa: F821

# Nothing calls out: no news feed, no check for a newer JupyterLab, no extension listing from PyPI.
c.LabApp.news_url = None  # noqa: F821
c.LabApp.check_for_updates_class = "jupyterlab.handlers.announcements.NeverCheckForUpdate"  # noqa: F821
c.LabApp.extension_manager = "readonly"  # noqa: F821

# The book's own small extension (no build step): myst-nb's glued numbers in the prose.
c.LabApp.extra_labextensions_path = [str(HERE / "labextensions")]  # noqa: F821

# jupyter-lsp (a dependency of JupyterLab) would look for language servers at every start, running
# `npm prefix -g` where npm is installed; the book needs none.
c.LanguageServerManager.autodetect = False  # noqa: F821
