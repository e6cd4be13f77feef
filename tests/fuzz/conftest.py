"""The live server the fuzz run talks to, and the summary line it leaves in the output."""

from __future__ import annotations

import pytest
import requests
import schemathesis

from tests.fuzz.ledger import BLOBS
from tests.fuzz.ledger import CHARTS
from tests.fuzz.ledger import LEDGER
from tests.fuzz.ledger import SEEDED
from tests.fuzz.settings import MAX_EXAMPLES
from tests.fuzz.settings import OPTIONS
from tests.fuzz.settings import PASSWORD
from tests.fuzz.settings import SEED
from tests.fuzz.settings import USER
from tests.helpers import start_server


@pytest.fixture(scope="session")
def fuzz_storage(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("fuzz-storage"))


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, fuzz_storage: str):
    """chartmuseum (gunicorn) on local storage, depth 1, basic auth, API on; one chart
    stored in the tenant ``fuzz`` so that reads find something, and the registry blobs of
    the pool's charts uploaded there so that pushes of them can succeed."""
    work = tmp_path_factory.mktemp("fuzz-server")
    args = [
        "--storage=local",
        f"--storage-local-rootdir={fuzz_storage}",
        f"--cache-dir={work / 'cache'}",
        f"--depth={OPTIONS['depth']}",
        f"--basic-auth-user={USER}",
        f"--basic-auth-pass={PASSWORD}",
        "--workers=2",
    ]
    server = start_server(args, str(work / "server.log"))
    repo, filename = SEEDED
    seeded = requests.post(
        f"{server.url}/api/{repo}/charts", data=CHARTS[filename], auth=(USER, PASSWORD), timeout=30
    )
    assert seeded.status_code == 201, seeded.text
    for digest, blob in BLOBS.items():
        staged = requests.post(
            f"{server.url}/v2/{repo}/fuzzchart/blobs/uploads/",
            params={"digest": digest},
            data=blob,
            auth=(USER, PASSWORD),
            timeout=30,
        )
        assert staged.status_code == 201, staged.text
        LEDGER.blob_stored(repo, digest)
    yield server
    server.stop()


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the fuzz run's findings and summary line (``pytest -q`` shows them too)."""
    if not LEDGER.operations:
        return
    terminalreporter.write_sep("-", "schemathesis fuzz run")
    for line in LEDGER.details():
        terminalreporter.write_line(line)
    header = f"schemathesis {schemathesis.__version__} seed={SEED} max-examples={MAX_EXAMPLES}"
    terminalreporter.write_line(LEDGER.summary(header))
