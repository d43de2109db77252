"""kombu's filesystem transport (the embedded broker of `make run`), made safe for a writer and
a reader in two processes.

The stock transport creates a message file with open("wb") and writes it afterwards; the
reader takes files without a lock. A reader that lists the folder in between moves away an
empty file, `json.loads(b"")` raises JSONDecodeError, and Celery's worker stops with
"Unrecoverable error" (the message is lost as well). Embedded beat publishes its 60-second
entries from another process, so the worker died 60 s after start on one run in two.

Here every file appears complete or not at all: messages and exchange tables are written to a
hidden temporary name in the same folder and renamed into place (rename is atomic on one file
system). A reader claims a message by renaming it into the processed folder (also atomic), and
a file that still cannot be decoded is set aside with a log line instead of stopping the worker.
Exchange tables change under one lock file, so two processes binding at once lose no binding.
"""

import fcntl
import logging
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)


def write_atomically(path: Path, data: bytes) -> None:
    # The leading dot keeps the file out of every queue: kombu matches names ending in
    # ".<queue>.msg" after the first dot, and this one ends in ".tmp".
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        try:
            write_atomically(Path(self.data_folder_out) / name, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add {name!r} to the queue folder") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        claimed_folder = Path(self.processed_folder)
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = claimed_folder / name
            try:
                # Only one consumer wins the rename; the others move on to the next file.
                os.rename(folder / name, claimed)
            except OSError:
                continue
            try:
                payload = claimed.read_bytes()
                message = loads(bytes_to_str(payload))
            except (OSError, ValueError):
                logger.exception("Set aside an unreadable broker message: %s", claimed)
                os.replace(claimed, claimed.with_name(f"{name}.unreadable"))
                continue
            if not self.store_processed:
                claimed.unlink()
            return message
        raise Empty()

    @contextmanager
    def _tables_locked(self):
        self.control_folder.mkdir(parents=True, exist_ok=True)
        with open(self.control_folder / ".lock", "wb") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._tables_locked():
            table = self.get_table(exchange)
            if entry not in table:
                table.insert(0, entry)
                write_atomically(self._exchange_file(exchange), str_to_bytes(dumps(table)))

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        # The virtual channel's own bookkeeping, without the stock in-place rewrite.
        super(filesystem.Channel, self)._delete(
            queue, exchange, routing_key, pattern, *args, **kwargs
        )
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._tables_locked():
            table = self.get_table(exchange)
            if entry in table:
                table.remove(entry)
                write_atomically(self._exchange_file(exchange), str_to_bytes(dumps(table)))


class Transport(filesystem.Transport):
    Channel = Channel
    # Not the stock transport's: the two classes must not share in-process state.
    global_state = filesystem.virtual.BrokerState()
