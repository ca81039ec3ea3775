"""infra/gluestar.yaml, checked offline: cfn-lint, then the security properties asserted one by one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gluestar.ops.deploy import DeployTarget, job_definition
from gluestar.pipelines.registry import JOBS

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "gluestar.yaml"
DATA_BUCKETS = ("RawBucket", "ProcessedBucket", "ArtifactsBucket")


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short-form tags (!Ref, !Sub, !GetAtt, ...) into long form."""


def _short_form(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_form)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _resolve(value: Any) -> Any:
    """Intrinsic functions as readable placeholders: !Ref X -> <X>, !Sub '${X.Arn}' -> '<X.Arn>'."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Ref":
            return f"<{inner}>"
        if key == "Fn::GetAtt":
            return f"<{'.'.join(inner)}>"
        if key == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda m: f"<{m.group(1)}>", inner)
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """Statements of a policy document, taking the first branch of every !If (the load-enabled case)."""
    found = []
    for statement in policy["Statement"]:
        if "Fn::If" in statement:
            statement = statement["Fn::If"][1]
        found.append(statement)
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# cfn-lint ----------------------------------------------------------------------------------------


def test_cfn_lint_finds_nothing_including_informational_checks():
    api = pytest.importorskip("cfnlint.api")
    matches = api.lint_file(TEMPLATE, config=api.ManualArgs(include_checks=["I"]))
    assert [str(m) for m in matches] == []


# buckets -----------------------------------------------------------------------------------------


def test_every_data_bucket_is_encrypted_with_the_customer_key(template):
    buckets = _resources(template, "AWS::S3::Bucket")
    for name in DATA_BUCKETS:
        (rule,) = buckets[name]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": ["DataKey", "Arn"]},
        }, name
        assert rule["BucketKeyEnabled"] is True, name


def test_the_access_log_bucket_uses_sse_s3_because_s3_server_access_logging_requires_it(template):
    bucket = template["Resources"]["AccessLogsBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_the_data_key_is_a_rotated_customer_managed_key(template):
    key = template["Resources"]["DataKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_every_bucket_blocks_public_access_and_disables_acls(template):
    buckets = _resources(template, "AWS::S3::Bucket")
    assert set(buckets) == {*DATA_BUCKETS, "AccessLogsBucket"}
    for name, bucket in buckets.items():
        assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
        assert bucket["Properties"]["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}, name


def test_every_bucket_policy_denies_requests_without_tls(template):
    policies = {_resolve(p["Properties"]["Bucket"]): p for p in _resources(template, "AWS::S3::BucketPolicy").values()}
    assert set(policies) == {"<RawBucket>", "<ProcessedBucket>", "<ArtifactsBucket>", "<AccessLogsBucket>"}
    for bucket, policy in policies.items():
        statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
        deny = statements["DenyInsecureTransport"]
        assert deny["Effect"] == "Deny"
        assert deny["Principal"] == "*"
        assert deny["Action"] == "s3:*"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        name = bucket.strip("<>")
        assert _resolve(deny["Resource"]) == [f"<{name}.Arn>", f"<{name}.Arn>/*"]


def test_data_buckets_log_access_to_the_access_log_bucket(template):
    buckets = _resources(template, "AWS::S3::Bucket")
    for name in DATA_BUCKETS:
        logging = buckets[name]["Properties"]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}


def _rules(template: dict[str, Any], bucket: str) -> dict[str, dict[str, Any]]:
    rules = template["Resources"][bucket]["Properties"]["LifecycleConfiguration"]["Rules"]
    return {rule["Id"]: rule for rule in rules}


def test_every_data_bucket_expires_noncurrent_versions_and_abandoned_uploads(template):
    for name in DATA_BUCKETS:
        rule = _rules(template, name)["ExpireNoncurrentVersions"]
        assert "Prefix" not in rule
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": {"Ref": "NoncurrentVersionRetentionDays"}}
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
        assert "ExpirationInDays" not in rule, "current objects must never expire bucket-wide"


def test_processed_lifecycle_expires_quarantine_and_reports_but_never_published_data(template):
    rules = _rules(template, "ProcessedBucket")
    expiring = {rule["Prefix"]: rule["ExpirationInDays"] for rule in rules.values() if "ExpirationInDays" in rule}
    assert expiring == {
        "finance/_quarantine/": {"Ref": "QuarantineRetentionDays"},
        "finance/_runs/": {"Ref": "ReportRetentionDays"},
        "finance/_quality/": {"Ref": "ReportRetentionDays"},
        "finance/_manifests/": 30,
        "finance/_staging/": 7,
    }
    assert not [p for p in expiring if "_data/" in p or "_published/" in p or "_lock" in p]


def test_the_raw_bucket_never_expires_extracts(template):
    assert all("ExpirationInDays" not in rule for rule in _rules(template, "RawBucket").values())


# the job role ------------------------------------------------------------------------------------

# The only statements allowed a "*" resource: the API has no resource type, a condition scopes them.
_STAR_RESOURCE_ALLOWED = {
    "PutRunMetricsAndGlueJobMetrics": {"StringEquals": {"cloudwatch:namespace": [{"Ref": "MetricsNamespace"}, "Glue"]}},
    "FollowOwnLoadStatements": {"StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}},
}


def _role_statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    role = template["Resources"]["GlueJobRole"]["Properties"]
    assert "ManagedPolicyArns" not in role, "no managed policy: AWSGlueServiceRole grants s3 and glue on '*'"
    (policy,) = role["Policies"]
    return {s["Sid"]: s for s in _statements(policy["PolicyDocument"])}


def test_the_role_is_assumed_only_by_glue_of_this_account(template):
    (statement,) = template["Resources"]["GlueJobRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "glue.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_role_has_no_wildcard_actions(template):
    for sid, statement in _role_statements(template).items():
        assert statement["Effect"] == "Allow", sid
        for action in _as_list(statement["Action"]):
            assert "*" not in action, f"{sid}: {action}"


def test_the_role_names_every_resource_it_can(template):
    for sid, statement in _role_statements(template).items():
        resources = _as_list(statement["Resource"])
        if "*" in resources:
            assert sid in _STAR_RESOURCE_ALLOWED, sid
            assert statement["Condition"] == _STAR_RESOURCE_ALLOWED[sid], sid


def test_the_role_reads_raw_writes_processed_reads_artifacts(template):
    statements = _role_statements(template)
    s3 = {
        sid: (sorted(_as_list(s["Action"])), _resolve(s["Resource"]))
        for sid, s in statements.items()
        if any(a.startswith("s3:") for a in _as_list(s["Action"]))
    }
    assert s3 == {
        "ListRawExtracts": (["s3:ListBucket"], "<RawBucket.Arn>"),
        "ReadRawExtracts": (["s3:GetObject"], "<RawBucket.Arn>/*"),
        "ListProcessedZone": (["s3:ListBucket", "s3:ListBucketMultipartUploads"], "<ProcessedBucket.Arn>"),
        "WriteProcessedZone": (
            [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            "<ProcessedBucket.Arn>/*",
        ),
        "ListArtifacts": (["s3:ListBucket"], "<ArtifactsBucket.Arn>"),
        "ReadWheelAndJobScripts": (["s3:GetObject"], "<ArtifactsBucket.Arn>/gluestar/*"),
        "GlueTempFilesAndSparkEventLogs": (
            ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "<ArtifactsBucket.Arn>/glue/*",
        ),
    }


def test_the_role_uses_the_key_the_secret_the_topic_and_the_log_groups_by_name(template):
    statements = _role_statements(template)
    assert _resolve(statements["UseTheDataKey"]["Resource"]) == "<DataKey.Arn>"
    assert statements["ReadTheRedshiftSecret"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["ReadTheRedshiftSecret"]["Resource"] == {"Ref": "RedshiftSecretArn"}
    assert statements["PublishAlerts"] == {
        "Sid": "PublishAlerts",
        "Effect": "Allow",
        "Action": "sns:Publish",
        "Resource": {"Ref": "AlertTopic"},
    }
    assert _resolve(statements["WriteJobLogs"]["Resource"]) == [
        "<JobOutputLogGroup.Arn>",
        "<JobErrorLogGroup.Arn>",
        "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/gluestar/<AWS::StackName>/*:log-stream:*",
    ]
    assert statements["RunLoadStatementsOnTheWorkgroup"]["Resource"] == {"Ref": "RedshiftWorkgroupArn"}


def test_no_parameter_or_job_argument_carries_a_secret(template):
    assert not [p for p in template["Parameters"] if re.search("password|token|key$", p, re.I)]
    assert all(not p.get("NoEcho") for p in template["Parameters"].values())
    for job in _resources(template, "AWS::Glue::Job").values():
        for name in job["Properties"]["DefaultArguments"]:
            assert not re.search("PASSWORD|TOKEN|CREDENTIAL", name), name


# logs, alerts ------------------------------------------------------------------------------------


def test_log_groups_and_the_topic_are_encrypted_with_the_data_key(template):
    for group in _resources(template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    topic = template["Resources"]["AlertTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}


def test_glue_job_failures_reach_the_topic_even_when_the_job_cannot_publish(template):
    rule = template["Resources"]["GlueJobFailureRule"]["Properties"]
    assert rule["EventPattern"]["detail"]["state"] == ["FAILED", "TIMEOUT", "ERROR"]
    assert rule["Targets"] == [{"Id": "alert-topic", "Arn": {"Ref": "AlertTopic"}}]
    (allow, _deny) = template["Resources"]["AlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["GlueJobFailureRule", "Arn"]}}}


# jobs and workflow -------------------------------------------------------------------------------


def _template_target() -> DeployTarget:
    """The target `gluestar deploy` builds from the stack's outputs, as placeholders."""
    return DeployTarget(
        prefix="<AWS::StackName>",
        artifacts_bucket="<ArtifactsBucket>",
        raw_bucket="<RawBucket>",
        processed_bucket="<ProcessedBucket>",
        role_arn="<GlueJobRole.Arn>",
        alert_topic_arn="<AlertTopic>",
        metrics_namespace="<MetricsNamespace>",
        log_group_prefix="/aws-glue/gluestar/<AWS::StackName>",
        security_configuration="<GlueSecurityConfiguration>",
        glue_version="<GlueVersion>",
        redshift_workgroup="<RedshiftWorkgroup>",
        redshift_database="<RedshiftDatabase>",
        redshift_schema="<RedshiftSchema>",
        redshift_copy_role_arn="<RedshiftCopyRoleArn>",
        redshift_secret_arn="<RedshiftSecretArn>",
    )


def test_every_registry_job_is_in_the_template_as_deploy_defines_it(template):
    jobs = {
        _resolve(j["Properties"]["Name"]): _resolve(j["Properties"])
        for j in _resources(template, "AWS::Glue::Job").values()
    }
    assert set(jobs) == {f"<AWS::StackName>-{name}" for name in JOBS}
    for spec in JOBS.values():
        desired = job_definition(spec, _template_target(), "<GluestarVersion>")
        job = jobs[desired["Name"]]
        for key in ("Description", "Role", "Command", "GlueVersion", "DefaultArguments", "SecurityConfiguration",
                    "ExecutionProperty", "MaxRetries", "Tags"):  # fmt: skip
            assert job[key] == desired[key], f"{desired['Name']}: {key}"


def test_jobs_use_glue_5_the_wheel_bookmarks_timeouts_and_retries(template):
    assert template["Parameters"]["GlueVersion"]["Default"] == "5.1"
    assert template["Parameters"]["GlueVersion"]["AllowedValues"] == ["5.0", "5.1"]
    for name, job in _resources(template, "AWS::Glue::Job").items():
        props = job["Properties"]
        args = _resolve(props["DefaultArguments"])
        assert args["--extra-py-files"].endswith("/gluestar-<GluestarVersion>-py3-none-any.whl"), name
        assert args["--job-bookmark-option"] in ("job-bookmark-enable", "job-bookmark-disable"), name
        assert args["--custom-logGroup-prefix"] == "/aws-glue/gluestar/<AWS::StackName>", name
        assert args["--LOG_FORMAT"] == "json", name
        assert props["Timeout"] and props["MaxRetries"] == 1, name
        assert props["WorkerType"] and props["NumberOfWorkers"], name


def test_the_workflow_runs_finance_on_schedule_then_the_load_after_success(template):
    schedule = template["Resources"]["FinanceScheduleTrigger"]["Properties"]
    assert schedule["Type"] == "SCHEDULED"
    assert schedule["WorkflowName"] == {"Ref": "FinanceWorkflow"}
    assert schedule["Actions"] == [{"JobName": {"Ref": "FinanceJob"}}]
    load = template["Resources"]["FinanceLoadTrigger"]["Properties"]
    assert load["Type"] == "CONDITIONAL"
    assert load["WorkflowName"] == {"Ref": "FinanceWorkflow"}
    assert load["Predicate"]["Conditions"] == [
        {"LogicalOperator": "EQUALS", "JobName": {"Ref": "FinanceJob"}, "State": "SUCCEEDED"}
    ]
    assert load["Actions"] == [{"JobName": {"Ref": "FinanceLoadJob"}}]


def test_the_outputs_are_what_deploy_reads(template):
    from gluestar.ops.deploy import STACK_OUTPUTS

    assert set(STACK_OUTPUTS) <= set(template["Outputs"])
