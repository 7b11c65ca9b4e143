"""deploy/nginx/hall.conf is a site file nginx accepts (`nginx -t`), with the live events
route unbuffered (issue 14). Debian's nginx (`apt-get install nginx-light`); no root needed:
the check runs on a copy with its own certificate, pid and log paths."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "deploy" / "nginx" / "hall.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def test_the_events_route_is_unbuffered_and_the_client_address_forwarded():
    text = SITE.read_text(encoding="utf-8")
    events = text.split("location = /api/v1/events", 1)[1].split("}", 1)[0]
    assert "proxy_buffering off;" in events and "proxy_pass http://hall_server;" in events
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert "trusted_proxies" in text


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_sample_site(tmp_path):
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=hall.example", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    site = SITE.read_text(encoding="utf-8").replace("/etc/hall/server.pem", str(cert))
    site = site.replace("/etc/hall/server.key", str(key))
    (tmp_path / "hall.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(f"    {name}_temp_path {tmp_path}/{name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\n"
                    "events {}\nhttp {\n" f"    access_log off;\n{temp}\n"
                    f"    include {tmp_path}/hall.conf;\n}}\n", encoding="utf-8")
    proc = subprocess.run([NGINX, "-t", "-q", "-e", "stderr", "-p", str(tmp_path), "-c",
                           str(main)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
