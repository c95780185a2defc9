"""The canonical line-bot-sdk v3 echo bot (Flask + WebhookHandler), the yardstick for bench/webhook.py.

    gunicorn --workers 3 --bind 127.0.0.1:PORT 'bench.echo_bot:create_app()'

Env: LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, LINE_API_BASE_URL (the fake LINE API).
As in the SDK's example it replies inside the request, before answering 200. One addition:
it also answers postbacks (with their data), so that, like kairan, every event costs one reply.
"""
from __future__ import annotations

import os

from flask import Flask, abort, request
from linebot.v3 import WebhookHandler
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import MessageEvent, PostbackEvent, TextMessageContent


def create_app() -> Flask:
    app = Flask(__name__)
    handler = WebhookHandler(os.environ["LINE_CHANNEL_SECRET"])
    configuration = Configuration(access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
                                  host=os.environ.get("LINE_API_BASE_URL", "https://api.line.me"))

    @app.post("/callback")
    def callback():
        signature = request.headers.get("X-Line-Signature", "")
        body = request.get_data(as_text=True)
        try:
            handler.handle(body, signature)
        except InvalidSignatureError:
            abort(400)
        return "OK"

    @handler.add(MessageEvent, message=TextMessageContent)
    def echo(event):
        with ApiClient(configuration) as api_client:  # per event, exactly as the SDK's README does
            MessagingApi(api_client).reply_message_with_http_info(ReplyMessageRequest(
                reply_token=event.reply_token, messages=[TextMessage(text=event.message.text)]))

    @handler.add(PostbackEvent)
    def postback(event):
        with ApiClient(configuration) as api_client:
            MessagingApi(api_client).reply_message_with_http_info(ReplyMessageRequest(
                reply_token=event.reply_token, messages=[TextMessage(text=event.postback.data)]))

    return app
