"""Kafka record sink for connectors (aiokafka producer: idempotent, acks=all, batched)."""

from __future__ import annotations

import asyncio
import ssl

from aiokafka import AIOKafkaProducer

from pipeline.settings import Settings


def kafka_connection_options(settings: Settings) -> dict:
    """Options kafka-python and aiokafka name alike: brokers, security protocol, SASL (never logged)."""
    options: dict = {"bootstrap_servers": settings.kafka.bootstrap, "security_protocol": settings.kafka.security_protocol}
    if settings.kafka.sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka.sasl_mechanism
        options["sasl_plain_username"] = settings.kafka.username
        options["sasl_plain_password"] = settings.kafka.password.get_secret_value() if settings.kafka.password else None
    return options


def aiokafka_options(settings: Settings) -> dict:
    options = kafka_connection_options(settings)
    if settings.kafka.security_protocol.endswith("SSL"):
        options["ssl_context"] = ssl.create_default_context(
            cafile=str(settings.kafka.ca_file) if settings.kafka.ca_file else None)
    return options


class KafkaRecordSink:
    def __init__(self, settings: Settings, max_in_flight: int = 5000):
        self.settings = settings
        self.producer = AIOKafkaProducer(
            **aiokafka_options(settings), acks="all", linger_ms=5, max_batch_size=256 * 1024,
            compression_type=settings.kafka.compression_type, request_timeout_ms=30000,
        )
        self._pending: list[asyncio.Future] = []
        self._max_in_flight = max_in_flight

    async def start(self) -> None:
        await self.producer.start()

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self._pending.append(await self.producer.send(topic, value=value, key=key))
        if len(self._pending) >= self._max_in_flight:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.gather(*pending)

    async def stop(self) -> None:
        try:
            await self.flush()
        finally:
            await self.producer.stop()

    async def __aenter__(self) -> KafkaRecordSink:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()
