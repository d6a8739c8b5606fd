"""A real Asterisk 22.9.0 for the tests, configured from the project's own sample files.

`scripts/build-asterisk` builds it once into a cache outside the work tree; each `RealAsterisk` gets
a private configuration directory (`asterisk -C DIR/asterisk.conf -f`, never /etc/asterisk) written
from `channels/asterisk/samples/` with only what a test machine needs changed:

- the AMI port (a free one) and the FastAGI server's address (the app's);
- this Debian build has no chan_pjsip, so the officials' phones and the citizens' trunk, which the
  samples dial as PJSIP, are Local channels into the test contexts appended at the end: an
  official's phone answers and stays on the line, a citizen answers a callback and sends audio;
- a second AMI user, `tests`, that reads every event class (DTMF, AGI) and may run CLI commands.

Everything else (queues, contexts, patterns, music on hold, manager.conf's user) is the sample as
shipped, so a sample that does not work fails here.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "channels" / "asterisk" / "samples"
BUILD = ROOT / "scripts" / "build-asterisk"
SOUNDS = Path("/usr/share/asterisk/sounds")
MOH = Path("/usr/share/asterisk/moh")
TEST_USER, TEST_SECRET = "tests", "tests-secret"

# Appended to the sample dialplan: what stands in for the phones and the trunk.
TEST_CONTEXTS = """
; --- test stand-ins (tests/support/real_asterisk.py) ------------------------------------------
[telefonos-prueba]
; An official's phone: answers after a ring and stays on the line until hung up (AMI Hangup).
exten => _official-X!,1,Ringing()
 same => n,Wait(0.5)
 same => n,Answer()
 same => n,Set(OFFICIAL_PHONE=${EXTEN})
 same => n,Wait(3600)
 same => n,Hangup()

[ciudadanos-prueba]
; A citizen's mobile answering a callback, sending audio like a real handset.
exten => _3XXXXXXXXX,1,Answer()
 same => n,Playback(/usr/share/asterisk/moh/macroform-cold_day)
 same => n,Goto(2)

[troncal-prueba]
; The operator's trunk: the call rings for a second (its channels exist, AMI has told of them)
; before the dialplan of entrante-195 answers it, as with a real trunk.
exten => _X.,1,Ringing()
 same => n,Wait(1)
 same => n,Goto(entrante-195,${EXTEN},1)

[llamante-prueba]
; The caller's side of an originated test call: audio towards the IVR keeps media flowing (a played
; file: the generators of Milliwatt and MusicOnHold send nothing across a Local channel, and a
; recording of them stays empty).
exten => s,1,Answer()
 same => n,Playback(/usr/share/asterisk/moh/macroform-cold_day)
 same => n,Goto(2)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build() -> Path:
    """The prefix of the cached build (built now if missing: about 4 minutes on 2 cores)."""
    done = subprocess.run([str(BUILD)], capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/build-asterisk failed:\n{done.stderr[-3000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class Ports:
    ami: int
    agi: int


def dialplan(agi_port: int) -> str:
    text = (SAMPLES / "extensions.conf").read_text()
    text = text.replace("AGI_SERVER = 127.0.0.1:4573", f"AGI_SERVER = 127.0.0.1:{agi_port}")
    text = text.replace("Dial(PJSIP/${EXTEN},30,t)", "Dial(Local/${EXTEN}@telefonos-prueba,30,t)")
    text = text.replace("Dial(PJSIP/${EXTEN}@troncal,45)", "Dial(Local/${EXTEN}@ciudadanos-prueba,45)")
    return text + TEST_CONTEXTS


def manager(ami_port: int) -> str:
    text = (SAMPLES / "manager.conf").read_text().replace("port = 5038", f"port = {ami_port}")
    return text + (
        f"\n[{TEST_USER}]\nsecret = {TEST_SECRET}\ndeny = 0.0.0.0/0.0.0.0\n"
        "permit = 127.0.0.1/255.255.255.255\nread = all\nwrite = all\n"
    )


def queues(announce_every: int | None) -> str:
    text = (SAMPLES / "queues.conf").read_text()
    if announce_every is not None:  # the tests wait seconds, not the sample's 45
        text = text.replace("announce-frequency = 45", f"announce-frequency = {announce_every}")
        text = text.replace("min-announce-frequency = 15", "min-announce-frequency = 1")
    return text


def asterisk_conf(root: Path, prefix: Path) -> str:
    dirs = {
        "astetcdir": root / "etc", "astmoddir": prefix / "lib" / "asterisk" / "modules",
        "astvarlibdir": root / "lib", "astdbdir": root / "lib", "astkeydir": root / "lib",
        "astdatadir": root / "data", "astagidir": root / "agi-bin", "astspooldir": root / "spool",
        "astrundir": root / "run", "astlogdir": root / "log", "astsbindir": prefix / "sbin",
        "astcachedir": root / "cache",
    }  # fmt: skip
    lines = ["[directories]", *(f"{k} => {v}" for k, v in dirs.items())]
    lines += ["", "[options]", "verbose = 3", "defaultlanguage = es", "transmit_silence = yes"]
    return "\n".join(lines) + "\n"


class RealAsterisk:
    """One Asterisk process on a private configuration; `start()`, `stop()`, `restart()`."""

    def __init__(self, prefix: Path, ports: Ports, *, announce_every: int | None = 2) -> None:
        self.prefix = prefix
        self.ports = ports
        self.root = Path(tempfile.mkdtemp(prefix="p195ast-"))  # short: the control socket path
        self.announce_every = announce_every
        self.proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    @property
    def log(self) -> Path:
        return self.root / "log" / "console.log"

    def _write_config(self) -> None:
        for sub in ("etc", "lib", "data", "agi-bin", "spool", "run", "log", "cache"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        data = self.root / "data"
        docs = self.prefix / "var" / "lib" / "asterisk" / "documentation"  # stasis needs the XML docs
        for name, target in (("sounds", SOUNDS), ("moh", MOH), ("documentation", docs)):
            if not (data / name).exists():
                (data / name).symlink_to(target)
        etc = self.root / "etc"
        (etc / "asterisk.conf").write_text(asterisk_conf(self.root, self.prefix))
        (etc / "extensions.conf").write_text(dialplan(self.ports.agi))
        (etc / "manager.conf").write_text(manager(self.ports.ami))
        (etc / "queues.conf").write_text(queues(self.announce_every))
        shutil.copy(SAMPLES / "musiconhold.conf", etc / "musiconhold.conf")
        (etc / "modules.conf").write_text("[modules]\nautoload = yes\n")
        (etc / "logger.conf").write_text("[logfiles]\nmessages.log => notice,warning,error,verbose\n")

    def start(self, timeout: float = 30.0) -> RealAsterisk:
        binary = self.prefix / "sbin" / "asterisk"
        out = open(self.log, "ab")  # noqa: SIM115  (kept open for the process's lifetime)
        self.proc = subprocess.Popen(
            [str(binary), "-C", str(self.root / "etc" / "asterisk.conf"), "-f", "-n", "-U", "root"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
        )  # fmt: skip
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"asterisk exited with {self.proc.returncode}: {self.tail()}")
            if self._ami_answers():
                self.cli("core waitfullybooted")  # AMI opens before the modules (dialplan) load
                return self
            time.sleep(0.1)
        raise RuntimeError(f"asterisk did not open AMI within {timeout}s: {self.tail()}")

    def _ami_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.ports.ami), timeout=0.5) as sock:
                return sock.recv(64).startswith(b"Asterisk Call Manager")
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (Asterisk stops at once, hanging up its calls); SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def cli(self, command: str) -> str:
        """A CLI command through the control socket (`asterisk -rx`)."""
        binary = self.prefix / "sbin" / "asterisk"
        done = subprocess.run(
            [str(binary), "-C", str(self.root / "etc" / "asterisk.conf"), "-rx", command],
            capture_output=True, text=True, timeout=15, check=False,
        )  # fmt: skip
        return done.stdout

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cleanup(self) -> None:
        self.stop()
        if not os.environ.get("KEEP_ASTERISK_DIR"):  # set it to read the logs of a failed run
            shutil.rmtree(self.root, ignore_errors=True)
