"""Fixtures of the ops tests: fake AWS credentials, moto, an SQS queue subscribed to an SNS topic."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gluestar.ops.logs import CONTEXT_FIELDS, set_log_context
from gluestar.ops.redact import forget_secrets

REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto for every AWS service, with fake credentials and a default region."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture(autouse=True)
def _clean_ops_state() -> Iterator[None]:
    """No registered secrets, log context or gluestar log handler leaks from one test to the next."""
    forget_secrets()
    yield
    forget_secrets()
    set_log_context(**dict.fromkeys(CONTEXT_FIELDS))
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_gluestar", False)]:
        root.removeHandler(handler)


class Inbox:
    """An SNS topic with an SQS queue subscribed: what the topic published, as (subject, message, attributes)."""

    def __init__(self) -> None:
        sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.topic_arn = sns.create_topic(Name="gluestar-alerts")["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def messages(self) -> list[dict[str, Any]]:
        received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        found = []
        for message in received:
            body = json.loads(message["Body"])
            found.append(
                {
                    "subject": body.get("Subject"),
                    "message": body["Message"],
                    "attributes": {k: v["Value"] for k, v in body.get("MessageAttributes", {}).items()},
                }
            )
        return found


@pytest.fixture
def inbox(aws: None) -> Inbox:
    return Inbox()
