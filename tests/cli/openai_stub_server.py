"""A small real OpenAI-compatible HTTP server for the command-line tests (stdlib only).

POST /v1/chat/completions answers "echo: <last user message>" — as one JSON completion, or with
"stream": true as Server-Sent Events (one chat.completion.chunk per word, then data: [DONE]).
Each request body is appended as one JSON line to REQUEST_LOG. Prints the port it listens on,
then serves until killed.

Usage: /usr/bin/python3 openai_stub_server.py REQUEST_LOG
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(body) + "\n")
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        users = [m["content"] for m in body["messages"] if m["role"] == "user"]
        answer = "echo: " + (users[-1] if users else "")
        usage = {"prompt_tokens": 7, "completion_tokens": len(answer.split()),
                 "total_tokens": 7 + len(answer.split())}
        if not body.get("stream"):
            data = json.dumps({
                "id": "c1", "object": "chat.completion", "model": body.get("model", ""),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": answer}}],
                "usage": usage}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(payload):
            chunk = ("data: " + payload + "\n\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()

        words = answer.split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            event(json.dumps({"id": "c1", "object": "chat.completion.chunk",
                              "choices": [{"index": 0, "delta": {"content": piece},
                                           "finish_reason": None}]}))
        event(json.dumps({"id": "c1", "object": "chat.completion.chunk",
                          "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                          "usage": usage}))
        event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
