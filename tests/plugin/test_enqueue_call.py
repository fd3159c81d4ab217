"""``EnqueueArguments``: an ``enqueue`` call read by name, however it was made,
and rebuilt with other metadata exactly as it was made otherwise."""

from __future__ import annotations

import unittest

from opentelemetry.instrumentation.uno_jobs.enqueue_call import SIGNATURE, EnqueueArguments

from uno.jobs import Priority


def as_called(args: tuple, kwargs: dict) -> dict:
    return dict(SIGNATURE.bind_partial(*args, **kwargs).arguments)


class EnqueueArgumentsTests(unittest.TestCase):
    def test_positional_and_keyword_calls_read_alike(self) -> None:
        positional = EnqueueArguments.bind(("send", None, None, "mail", Priority.LOW), {})
        keywords = EnqueueArguments.bind((), {"task_name": "send", "queue_name": "mail",
                                              "priority": Priority.LOW})
        for call in (positional, keywords):
            self.assertEqual((call.get("task_name"), call.get("queue_name"),
                              call.get("priority"), call.get("metadata")),
                             ("send", "mail", Priority.LOW, None))

    def test_defaults_fill_what_was_not_given(self) -> None:
        call = EnqueueArguments.bind(("send",), {})
        self.assertEqual((call.get("priority"), call.get("queue_name")), (Priority.NORMAL, None))

    def test_metadata_replaced_where_it_was_given(self) -> None:
        positional = ("send", None, None, None, Priority.NORMAL, None, None, None, None, None,
                      {"user": "1"})
        for args, kwargs in ((positional, {}), (("send",), {"metadata": {"user": "1"}}),
                             (("send",), {})):
            new_args, new_kwargs = EnqueueArguments.bind(args, kwargs).with_metadata({"t": "p"})
            expected = {**as_called(args, kwargs), "metadata": {"t": "p"}}
            self.assertEqual(as_called(new_args, new_kwargs), expected)

    def test_a_call_that_does_not_bind_gives_none(self) -> None:
        self.assertIsNone(EnqueueArguments.bind(("send",), {"task_name": "send"}))
        self.assertIsNone(EnqueueArguments.bind(("send",), {"no_such_option": 1}))
