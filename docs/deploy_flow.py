#!/usr/bin/env python3
"""The operator flow of docs/deploy.md, timed: a clone, `.env`, your own
archive, `up -d --build`, a question, then an article added on the host and
a question about it, answered without a restart.

Run as root from a clone of the repository (not from the working tree you
edit), on a machine with podman and podman-compose (or docker compose):

    FAKE_TG=$(realpath ../shared/container/fake_tg.py)   # from the repository's root
    git clone . /tmp/op && cd /tmp/op
    python3 docs/deploy_flow.py --fake-tg "$FAKE_TG"

It starts the fake Bot API (fake_tg.py) on 0.0.0.0:PORT, so the container
reaches it over its compose network at the host's address; writes `.env`
(the test token, TELOXIDE_API_URL, ARCHIVE_DIR, ARCHIVE_BOT_RELOAD_SECONDS);
copies corpus/ to ARCHIVE_DIR; runs `COMPOSE up -d --build`; asks; adds an
article to ARCHIVE_DIR; asks about it until answered; removes it and asks
until the answer is gone; `COMPOSE down`. Then webhook mode: the two
webhook variables in `.env`, `ports` uncommented in compose.yaml, `up -d`,
an update POSTed to the published port 8080 (a wrong secret first), the
reply; `.env` and compose.yaml restored, `COMPOSE down` (the data volume is
kept unless --down-volumes). Prints one line per step with its time.
"""
import argparse, importlib.util, itertools, json, os, shutil, socket, subprocess, sys, time
import urllib.error, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--fake-tg", required=True, help="path of fake_tg.py")
ap.add_argument("--port", type=int, default=18081)
ap.add_argument("--archive", default="/tmp/op-archive")
ap.add_argument("--reload-seconds", type=int, default=2)
ap.add_argument("--compose", default="podman-compose", help='e.g. "docker compose"')
ap.add_argument("--host-ip", default=None, help="address the container uses to reach this host")
ap.add_argument("--down-volumes", action="store_true")
a = ap.parse_args()

spec = importlib.util.spec_from_file_location("fake_tg", a.fake_tg)
tg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tg)

TOKEN = "123456:TEST-TOKEN"
NEW_FILE = "900_deploy_flow_test.txt"
NEW_ARTICLE = (
    "青石镇图书馆新馆开放\n"
    "本报讯 12月5日,青石镇图书馆新馆正式向公众开放。馆长林晓梅介绍,新馆共收藏古籍三千二百册,"
    "设有少儿阅览室和数字阅读区,每周开放六天。开馆当天,共有四百余名居民前来借阅图书。\n"
)
NEW_QUESTION = "青石镇图书馆收藏了多少册古籍?"
NEW_FACT = "三千二百册"
OLD_QUESTION = "陈达锋是什么职务?"


def host_ip():
    if a.host_ip:
        return a.host_ip
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("192.0.2.1", 9))            # no packet is sent; picks the outgoing address
    ip = s.getsockname()[0]
    s.close()
    return ip


T0 = time.time()


def step(msg):
    print(f"[{time.time() - T0:7.1f} s] {msg}", flush=True)


def compose(*args, check=True):
    cmd = a.compose.split() + list(args)
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return time.time() - t, r


USER = iter(range(5000, 10**6))


def ask(text, timeout=20.0):
    """One question from a fresh user (so the per-user limit never applies); the reply's text."""
    uid = next(USER)
    t = time.time()
    tg.push_message(text, chat=tg.private_chat(uid), frm=tg.user(uid))
    rep = tg.wait_for(lambda: [c for c in tg.calls("sendMessage", t) if str(c["params"].get("chat_id")) == str(uid)],
                      timeout)
    return (str(rep[0]["params"].get("text")), time.time() - t) if rep else (None, time.time() - t)


def ask_until(text, pred, limit):
    t = time.time()
    n = 0
    while time.time() - t < limit:
        n += 1
        reply, _ = ask(text)
        if reply is not None and pred(reply):
            return time.time() - t, n, reply
        time.sleep(0.25)
    return None, n, reply


# the fake Bot API, reachable from the container network. Update ids go on
# from the clock, as Telegram's do from one run to the next (a fresh fake
# would start again at 1 under the journal kept in the data volume).
tg.TOKEN = TOKEN
tg.STATE.next_update = itertools.count(int(time.time()))
HOOKS = []
tg.METHODS["setwebhook"] = lambda p: HOOKS.append(p) or True   # the fake has no setWebhook
srv = tg.Server(("0.0.0.0", a.port), tg.Handler)
import threading
threading.Thread(target=srv.serve_forever, daemon=True).start()
api = f"http://{host_ip()}:{a.port}/"
step(f"fake Bot API on {api}")

shutil.rmtree(a.archive, ignore_errors=True)
shutil.copytree("corpus", a.archive)
os.chmod(a.archive, 0o755)
with open(".env", "w") as f:
    f.write(f"TELOXIDE_TOKEN={TOKEN}\nTELOXIDE_API_URL={api}\nARCHIVE_DIR={a.archive}\n"
            f"ARCHIVE_BOT_RELOAD_SECONDS={a.reload_seconds}\n")
step(f".env written; ARCHIVE_DIR={a.archive} ({len(os.listdir(a.archive))} files)")

dt, _ = compose("up", "-d", "--build")
step(f"{a.compose} up -d --build: {dt:.1f} s")
t = time.time()
if not tg.wait_for(lambda: tg.calls("getUpdates"), 90):
    _, logs = compose("logs", check=False)
    sys.exit(f"no getUpdates within 90 s\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")
step(f"first getUpdates {time.time() - t:.1f} s after up returned")

reply, dt = ask(OLD_QUESTION)
step(f"asked {OLD_QUESTION!r}: reply after {dt:.1f} s: {str(reply)[:60]!r}")
if reply is None:
    sys.exit("no reply")

tw = time.time()
with open(os.path.join(a.archive, NEW_FILE), "w") as f:
    f.write(NEW_ARTICLE)
os.chmod(os.path.join(a.archive, NEW_FILE), 0o644)
step(f"added {NEW_FILE} to {a.archive} on the host")
took, n, reply = ask_until(NEW_QUESTION, lambda r: NEW_FACT in r, 120)
if took is None:
    sys.exit(f"the new article was not answered within 120 s ({n} questions); last reply {reply!r}")
step(f"new article answered {time.time() - tw:.1f} s after the file was written "
     f"({n} question(s); reload every {a.reload_seconds} s): {reply[:70]!r}")

tr = time.time()
os.remove(os.path.join(a.archive, NEW_FILE))
step(f"removed {NEW_FILE}")
took, n, reply = ask_until(NEW_QUESTION, lambda r: NEW_FACT not in r, 120)
if took is None:
    sys.exit(f"the removed article was still answered after 120 s ({n} questions)")
step(f"removed article gone from answers {time.time() - tr:.1f} s after the file was removed ({n} question(s))")

_, ps = compose("ps", check=False)
step("compose ps:\n" + ps.stdout.strip())
_, logs = compose("logs", check=False)
with open("/tmp/op-flow-container.log", "w") as f:
    f.write(logs.stdout + logs.stderr)
step("container log: /tmp/op-flow-container.log")
if a.compose.startswith("podman"):
    # podman runs health checks from systemd timers; without systemd, by hand
    names = subprocess.run(["podman", "ps", "--format", "{{.Names}}"], capture_output=True, text=True).stdout.split()
    bot = next((n for n in names if "bot" in n), None)
    if bot:
        hc = subprocess.run(["podman", "inspect", "--format", "{{json .Config.Healthcheck.Test}}", bot],
                            capture_output=True, text=True).stdout.strip()
        r = subprocess.run(["podman", "healthcheck", "run", bot], capture_output=True, text=True)
        st = subprocess.run(["podman", "ps", "--format", "{{.Names}} {{.Status}}"], capture_output=True,
                            text=True).stdout.strip()
        step(f"healthcheck {hc}: podman healthcheck run {bot} -> rc {r.returncode}; podman ps: {st}")
dt, _ = compose("down", check=False)
step(f"{a.compose} down: {dt:.1f} s")

# webhook mode: what README says an operator does
env = open(".env").read()
conf = open("compose.yaml").read()
ports = '    # ports:\n    #   - "8080:8080"'
if ports not in conf:
    sys.exit("compose.yaml has no commented-out ports to uncomment")
try:
    with open(".env", "w") as f:
        f.write(env + "ARCHIVE_BOT_WEBHOOK_URL=https://bot.example.org/telegram\n"
                "ARCHIVE_BOT_WEBHOOK_SECRET=test_secret_123\n")
    with open("compose.yaml", "w") as f:
        f.write(conf.replace(ports, '    ports:\n      - "8080:8080"'))
    t = time.time()
    dt, _ = compose("up", "-d")
    step(f"webhook mode: {a.compose} up -d: {dt:.1f} s")
    if not tg.wait_for(lambda: HOOKS, 60):
        sys.exit("no setWebhook within 60 s")
    step(f"setWebhook {time.time() - t:.1f} s after up: {HOOKS[-1]}")
    uid = next(USER)
    tg._see(tg.private_chat(uid), tg.user(uid))

    def post(secret):
        upd = {"update_id": next(tg.STATE.next_update),
               "message": {"message_id": next(tg.STATE.next_msg), "date": int(time.time()),
                           "chat": tg.private_chat(uid), "from": tg.user(uid), "text": OLD_QUESTION}}
        req = urllib.request.Request(f"http://127.0.0.1:8080/telegram", data=json.dumps(upd).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "X-Telegram-Bot-Api-Secret-Token": secret})
        for _ in range(40):
            try:
                return urllib.request.urlopen(req, timeout=10).status
            except urllib.error.HTTPError as e:
                return e.code
            except OSError:
                time.sleep(0.25)       # the port is published before the server listens
        return None

    step(f"POST to the published port with a wrong secret: HTTP {post('wrong')}")
    t = time.time()
    code = post("test_secret_123")
    rep = tg.wait_for(lambda: [c for c in tg.calls("sendMessage", t) if str(c["params"].get("chat_id")) == str(uid)],
                      20)
    step(f"POST with the secret: HTTP {code}; reply after {time.time() - t:.2f} s: "
         f"{str(rep[0]['params'].get('text'))[:40] if rep else None!r}; getUpdates calls: "
         f"{len(tg.calls('getUpdates', t))}")
finally:
    with open(".env", "w") as f:
        f.write(env)
    with open("compose.yaml", "w") as f:
        f.write(conf)
    dt, _ = compose("down", *(["-v"] if a.down_volumes else []), check=False)
    step(f"{a.compose} down{' -v' if a.down_volumes else ''}: {dt:.1f} s")
