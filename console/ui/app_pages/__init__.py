"""The console's pages: one file per page, run by Streamlit as scripts (see the registry)."""
