"""A tiny entry script for the login gate's AppTests: the gate, then protected content."""

import streamlit as st

from console.config import load_settings
from console.ledger import Ledger
from console.sessions import Authority, Directory
from console.ui.login import require_user

settings = load_settings()
with Ledger(settings.ledger_path) as ledger:
    actor = require_user(settings, Authority(ledger, Directory(settings.secrets_path)))
    st.markdown(f"Protected content for {actor.name} ({actor.role.value})")
