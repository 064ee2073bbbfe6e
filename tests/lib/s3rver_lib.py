"""s3rver_lib.py - s3rver (a real S3 server from the npm registry,
installed into tools/node_modules by scripts/install-deps.sh) on loopback
for the check_s3_*.py tests: started with its own folder under the
check's temporary folder, killed at exit (before the folder goes).

    endpoint, s3, env = s3rver_lib.start(c)

s3 is a botocore client (a separate S3 client, signed as s3rver
expects); env is os.environ pointing kpigate's S3 client at s3rver.
A missing s3rver is a failure, never a skip."""
import atexit
import os
import signal
import socket
import subprocess
import time

import botocore.session


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(c):
    root = os.path.dirname(os.path.abspath(c.tests))
    s3rver = os.path.join(root, "tools", "node_modules", ".bin", "s3rver")
    if not os.access(s3rver, os.X_OK):
        c.fail(f"{s3rver} is missing: run scripts/install-deps.sh (it installs "
               "tools/package-lock.json's s3rver)")
        c.finish()
    port = free_port()
    data = c.path("s3rver")
    os.makedirs(data)
    srv = subprocess.Popen([s3rver, "-d", data, "-a", "127.0.0.1", "-p", str(port), "--silent",
                            "--no-vhost-buckets"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           start_new_session=True,
                           # its continuation tokens are DES-encrypted: OpenSSL 3
                           # has DES only in the legacy provider
                           env=dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider"))

    def stop():
        if srv.poll() is None:
            os.killpg(srv.pid, signal.SIGKILL)
            srv.wait()

    atexit.register(stop)  # after the check's own: runs before its folder goes
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if srv.poll() is not None:
                c.fail(f"s3rver exited: {srv.stderr.read().decode()[-1000:]}")
                c.finish()
            time.sleep(0.05)
    sess = botocore.session.get_session()
    s3 = sess.create_client("s3", region_name="us-east-1", endpoint_url=endpoint,
                            aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER")
    env = dict(os.environ, AWS_ENDPOINT_URL_S3=endpoint, AWS_ACCESS_KEY_ID="S3RVER",
               AWS_SECRET_ACCESS_KEY="S3RVER", AWS_REGION="us-east-1")
    for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        env.pop(k, None)
    return endpoint, s3, env
