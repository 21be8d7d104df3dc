"""A real nginx (Debian's package) in front of a local site, configured as
docs/deployment.md says: for the proxy tests and the sign-in attack benchmark. No Django."""

import os
import re
import socket
import subprocess
import time
from pathlib import Path

from tests.smtp_sink import free_port

NGINX = os.environ.get("NGINX_PATH", "/usr/sbin/nginx")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"


CONFIG = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    {preamble}
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1;
        {locations}
    }}
}}
"""


def documented_configuration(upstream: str) -> tuple[str, str]:
    """From the nginx configuration in docs/deployment.md: the lines before its first
    `server` block (the `http`-level rate limit zone) and the `location` blocks of the HTTPS
    server, passing to `upstream` instead of the documented gunicorn address."""
    config = re.search(r"```nginx\n(.*?)```", DOCS.read_text(), re.DOTALL).group(1)
    preamble = config[: config.index("server {")]
    https_server = config[config.index("listen 443") :]
    blocks = re.findall(r"location [^{]+\{.*?\n\s*\}", https_server, re.DOTALL)
    assert [b.split("{")[0].strip() for b in blocks] == ["location /", "location /accounts/"]
    for block in blocks:
        assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in block
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in block
    assert "limit_req zone=" in blocks[1]
    locations = "\n".join(blocks)
    return preamble, re.sub(r"proxy_pass http://[^;]+;", f"proxy_pass {upstream};", locations)


class Nginx:
    def __init__(self, tmp: Path, upstream: str):
        self.tmp, self.port = tmp, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        preamble, locations = documented_configuration(upstream)
        (tmp / "nginx.conf").write_text(
            CONFIG.format(tmp=tmp, port=self.port, preamble=preamble, locations=locations)
        )
        self.process = subprocess.Popen(
            [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx stopped: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "nginx did not listen within 20 s"
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)

    def client_addresses(self) -> set[str]:
        return {line.split()[0] for line in (self.tmp / "access.log").read_text().splitlines()}
