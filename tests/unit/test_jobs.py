"""Job names: one enum, one actor per name, the same name on the broker and in the queues."""

from __future__ import annotations

from dramatiq.brokers.stub import StubBroker

from domestyx.adapters.dramatiq.task_queue import DramatiqTaskQueue
from domestyx.domain.model.jobs import Job
from domestyx.entrypoints.worker.jobs import ServiceRef, register_actors


def test_every_job_has_exactly_one_actor_named_after_it() -> None:
    actors = register_actors(StubBroker(), ServiceRef())
    assert set(actors) == {job.value for job in Job}
    assert {actor.actor_name for actor in actors.values()} == set(actors)


def test_deliveries_have_their_own_queue() -> None:
    actors = register_actors(StubBroker(), ServiceRef())
    queues = {name: actor.queue_name for name, actor in actors.items()}
    assert queues.pop(Job.DELIVER_MESSAGE) == "delivery"
    assert set(queues.values()) == {"maintenance"}


def test_the_dramatiq_queue_sends_to_the_actor_named_by_the_job() -> None:
    broker = StubBroker()
    register_actors(broker, ServiceRef())
    DramatiqTaskQueue(broker).enqueue(Job.ERASE_ACCOUNT, account_id="a" * 32)
    (message,) = broker.queues["maintenance"].queue
    assert b'"actor_name":"erase_account"' in message
    assert b'"account_id":"' + b"a" * 32 + b'"' in message
