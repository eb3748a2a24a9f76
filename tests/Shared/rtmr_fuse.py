#!/usr/bin/python3
"""Stands in for the kernel's TDX RTMR sysfs attributes, which exist only inside a TDX guest (Linux 6.16+).

Mounts a directory like /sys/devices/virtual/misc/tdx_guest/measurements with the kernel's semantics for
rtmr2:sha384 and rtmr3:sha384: a read returns the 48-byte register, one write of exactly 48 bytes at offset 0
extends it (RTMR = SHA384(RTMR || data)), anything else is EINVAL. A plain file or a FIFO cannot behave so.

Usage: rtmr_fuse.py MOUNTPOINT CONTROL_DIR. Files a test creates in CONTROL_DIR change what the next write does:
  interfere  another party extends the register right after the write (a register moved by someone else)
  short      the write takes half of the bytes and extends nothing (a short write)
  pause      after the extend, create CONTROL_DIR/paused and wait until "pause" is removed (a crash window)
"""
import errno
import hashlib
import os
import stat
import sys
import threading
import time

from fusepy import FUSE, FuseOSError, Operations

REGISTER_SIZE = 48


class Measurements(Operations):
    def __init__(self, control):
        self.control = control
        self.registers = {"rtmr2:sha384": bytes(REGISTER_SIZE), "rtmr3:sha384": bytes(REGISTER_SIZE)}
        self.mutex = threading.Lock()
        self.started = time.time()

    def _flag(self, name):
        return os.path.exists(os.path.join(self.control, name))

    def _name(self, path):
        name = path.lstrip("/")
        if name not in self.registers:
            raise FuseOSError(errno.ENOENT)
        return name

    def getattr(self, path, fh=None):
        times = dict(st_atime=self.started, st_mtime=self.started, st_ctime=self.started)
        if path == "/":
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_uid=os.getuid(), st_gid=os.getgid(), **times)
        self._name(path)
        return dict(st_mode=stat.S_IFREG | 0o600, st_nlink=1, st_size=REGISTER_SIZE, st_uid=os.getuid(), st_gid=os.getgid(), **times)

    def readdir(self, path, fh):
        return [".", ".."] + sorted(self.registers)

    def open(self, path, flags):
        self._name(path)
        return 0

    def truncate(self, path, length, fh=None):
        raise FuseOSError(errno.EINVAL)

    def read(self, path, size, offset, fh):
        with self.mutex:
            return self.registers[self._name(path)][offset:offset + size]

    def write(self, path, data, offset, fh):
        name = self._name(path)
        if offset != 0 or len(data) != REGISTER_SIZE:
            raise FuseOSError(errno.EINVAL)
        if self._flag("short"):
            return len(data) // 2
        with self.mutex:
            self.registers[name] = hashlib.sha384(self.registers[name] + bytes(data)).digest()
            if self._flag("interfere"):
                self.registers[name] = hashlib.sha384(self.registers[name] + b"\x5a" * REGISTER_SIZE).digest()
        if self._flag("pause"):
            open(os.path.join(self.control, "paused"), "w").close()
            while self._flag("pause"):
                time.sleep(0.02)
        return len(data)


if __name__ == "__main__":
    mountpoint, control = sys.argv[1], sys.argv[2]
    FUSE(Measurements(control), mountpoint, foreground=True, direct_io=True, nothreads=False, attr_timeout=0, entry_timeout=0)
