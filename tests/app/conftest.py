"""AppTests run the scripts in this process: give them the server address that
``merchant-console run`` gives the console (loopback), which the local-mode gate checks."""

import pytest
from streamlit import config


@pytest.fixture(autouse=True)
def loopback_server_address():
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)
