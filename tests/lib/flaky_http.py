"""Serve a directory on 127.0.0.1 (port chosen by the kernel, printed as
"port N"), answering the first request for each path with 503: a server
having a bad moment, for testing retries. Usage: flaky_http.py DIR"""
import functools
import http.server
import sys

seen = set()


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path not in seen:
            seen.add(self.path)
            self.send_error(503, "try again")
            return
        super().do_GET()


server = http.server.HTTPServer(("127.0.0.1", 0),
                                functools.partial(Handler, directory=sys.argv[1]))
print("serving on port %d" % server.server_address[1], flush=True)
server.serve_forever()
