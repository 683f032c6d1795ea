"""/hooks/kuaidi100: where 快递100 posts the results of the interceptions lanjie asked for.

Like /hooks/doudian it is outside the login and CSRF (快递100 calls it, no browser): what vouches
for a post is its signature, upper(md5(param + salt)), with the salt every server derives from
the shared secret. A verified result is recorded before the answer, so a result that could not be
recorded is not acknowledged and 快递100 posts it again. A refused post is logged without its body.
"""

from __future__ import annotations

import logging
from functools import partial

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lanjie.clients.kuaidi100 import CALLBACK_OK, CALLBACK_REJECTED, CallbackInvalid, parse_callback
from lanjie.delivery.kuaidi100_intercept import CALLBACK_PATH, callback_salt, record_callback
from lanjie.web.context import Web

router = APIRouter()
LOG = logging.getLogger("lanjie.kuaidi100")
NOT_RECORDED = {"result": False, "returnCode": "500", "message": "暂时无法记录，请稍后重试"}


@router.post(CALLBACK_PATH)
async def kuaidi100_hook(request: Request) -> Response:
    """An interception result: verified, recorded, then acknowledged."""
    web: Web = request.app.state.web
    sender = request.client.host if request.client else "?"
    body = await request.body()
    try:
        outcome = parse_callback(body, callback_salt(web.settings))
    except CallbackInvalid as error:
        # Never the body: whoever sent it, it is not ours to keep in a log.
        LOG.warning("refused a 快递100 callback from %s: %s (%d bytes)", sender, error.message, len(body))
        return JSONResponse(CALLBACK_REJECTED, status_code=400)
    try:
        result = await anyio.to_thread.run_sync(partial(record_callback, web.ledger, outcome, web.now()))
    except Exception as error:  # not acknowledged: 快递100 posts it again
        LOG.error("a 快递100 callback for %s could not be recorded: %s", outcome.number, type(error).__name__)
        return JSONResponse(NOT_RECORDED, status_code=500)
    LOG.info("快递100 callback for %s: %s → %s", outcome.number, outcome.status.value, result.effect.value)
    return JSONResponse(CALLBACK_OK)
