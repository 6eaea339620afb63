"""Serve a directory on 127.0.0.1 (port chosen by the kernel, printed as
"port N"), answering the first FAILURES requests for each path (default 1)
with HTTP status CODE (default 503): a server having a bad moment, for
testing retries. Usage: flaky_http.py DIR [CODE [FAILURES]]"""
import collections
import functools
import http.server
import sys

code = int(sys.argv[2]) if len(sys.argv) > 2 else 503
failures = int(sys.argv[3]) if len(sys.argv) > 3 else 1
seen = collections.Counter()


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        seen[self.path] += 1
        if seen[self.path] <= failures:
            self.send_error(code, "try again")
            return
        super().do_GET()


server = http.server.HTTPServer(("127.0.0.1", 0),
                                functools.partial(Handler, directory=sys.argv[1]))
print("serving on port %d" % server.server_address[1], flush=True)
server.serve_forever()
