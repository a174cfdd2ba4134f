"""Send the browser to another address from a script run (the sign-in page, after logout).

Streamlit has no public "open this URL in this tab" call; ``st.login`` and
``st.logout`` use a ``ForwardMsg.auth_redirect`` message, which the frontend turns
into ``window.location.href = url``. :func:`go_to` sends the same message — Streamlit's
own mechanism rather than hand-written JavaScript. It is not public API, so the
end-to-end sign-in tests pin it; the pages always show a plain link as well.
"""

from __future__ import annotations

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx


def go_to(url: str) -> bool:
    """Ask the browser to open ``url`` (a path on this server) in this tab; False when
    there is no browser session (a bare script run, AppTest)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return False
    message = ForwardMsg()
    message.auth_redirect.url = url
    ctx.enqueue(message)
    return True
