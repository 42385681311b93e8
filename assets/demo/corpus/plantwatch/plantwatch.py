"""plantwatch: read soil moisture sensors and say when a pot needs water.

Readings are floats from 0.0 (sensor in dry air) to 1.0 (sensor in water),
after calibration. See README.md for wiring and configuration.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from dataclasses import dataclass

log = logging.getLogger("plantwatch")


@dataclass
class Pot:
    """One plant pot: a name and the ADS1115 input its sensor is on."""

    name: str
    channel: int
    dry_at: float | None = None


def scale(raw: int, dry_raw: int, wet_raw: int) -> float:
    """Turn a raw ADC value into 0.0 (dry air) .. 1.0 (water), clamped."""
    if dry_raw == wet_raw:
        raise ValueError("calibration values must differ")
    value = (dry_raw - raw) / (dry_raw - wet_raw)
    return min(1.0, max(0.0, value))


def needs_water(level: float, threshold: float = 0.35) -> bool:
    """Return True when a pot's moisture level is below the threshold.

    threshold: the moisture level under which a pot counts as dry.
        Defaults to 0.35; a pot's own ``dry_at`` overrides it.
    """
    return level < threshold


def notify(webhook_url: str, message: str, timeout: float = 10.0) -> None:
    """Post a short message to the webhook as JSON ({"text": message})."""
    body = json.dumps({"text": message}).encode("utf-8")
    req = urllib.request.Request(
        webhook_url, data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout):
        pass


def watch(pots, read, led, webhook_url, poll_seconds: int = 900) -> None:
    """Check every pot forever and notify once when a pot becomes dry.

    pots: the Pot objects to check.
    read: a function taking an ADS1115 channel and returning a scaled level.
    led: an object with ``on()``, ``off()`` and ``blink()`` for the status LED.
    webhook_url: where notifications are posted.
    poll_seconds: how often the sensors are polled, in seconds.
        Defaults to 900, which is every 15 minutes.
    """
    already_told: set[str] = set()
    while True:
        dry_now = []
        for pot in pots:
            level = read(pot.channel)
            log.info("%s: %.2f", pot.name, level)
            dry = needs_water(level) if pot.dry_at is None else needs_water(level, pot.dry_at)
            if dry:
                dry_now.append(pot.name)
        led.blink()
        for name in dry_now:
            if name not in already_told:
                notify(webhook_url, f"The {name} needs water.")
                already_told.add(name)
        already_told &= set(dry_now)
        if dry_now:
            led.on()
        else:
            led.off()
        time.sleep(poll_seconds)
