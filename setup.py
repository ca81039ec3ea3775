"""Packaging for gluestar: a pure-Python wheel for AWS Glue 5.x (Spark 3.5, Python 3.11).

Glue provides Spark, so the wheel itself depends only on click (small, pure Python) for the
``gluestar`` command; the Glue jobs load the wheel with ``--extra-py-files``, which installs nothing,
and never import click. ``pip install 'gluestar[local]'`` adds PySpark 3.5 and awsglue's Python side
for running jobs off AWS, ``[redshift]`` boto3 (also what ``gluestar deploy`` needs), ``[test]`` the
test tools.
The source contracts in ``schemas/`` and the Redshift DDL in ``ddl/`` ship inside the wheel as the
``gluestar.schemas`` and ``gluestar.ddl`` packages.
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'^__version__ = "([^"]+)"', (HERE / "lib/gluestar/__init__.py").read_text(), re.M).group(1)

LOCAL = [
    "pyspark==3.5.6",
    "awsgluedataplanepython>=5.1,<6",
    "pyarrow>=14",
]
# pydeequ runs the quality checks where the Deequ jar is on the classpath (Glue --extra-jars).
DEEQU = ["pydeequ==1.7.0"]
# Redshift loading: a DB-API driver, the Data API client and Secrets Manager (boto3); psycopg for
# the local PostgreSQL stand-in.
REDSHIFT = ["redshift_connector>=2.1", "boto3>=1.34"]
POSTGRES = ["psycopg[binary]>=3.1", "sqlglot>=25"]
TEST = [
    *LOCAL,
    *DEEQU,
    *REDSHIFT,
    *POSTGRES,
    "pytest>=8",
    "chispa==0.12.0",
    "moto[glue]>=5.0",
    "cfn-lint>=1.0",
    "pyyaml>=6",
    "ruff>=0.6",
    "build>=1.0",
    "wheel>=0.43",
]

setup(
    name="gluestar",
    version=VERSION,
    description="PySpark ETL for AWS Glue: raw extracts to a governed, Redshift-ready star schema",
    long_description=(HERE / "README.md").read_text(encoding="utf-8") if (HERE / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    package_dir={"": "lib", "gluestar.schemas": "schemas", "gluestar.ddl": "ddl"},
    packages=[*find_packages(where="lib"), "gluestar.schemas", "gluestar.ddl"],
    package_data={
        "gluestar": ["py.typed"],
        "gluestar.schemas": ["*/*.json"],
        "gluestar.ddl": ["*.sql", "*/*.sql"],
    },
    include_package_data=False,
    install_requires=["click>=8.1"],
    entry_points={"console_scripts": ["gluestar = gluestar.cli:main"]},
    extras_require={
        "local": LOCAL,
        "deequ": DEEQU,
        "redshift": REDSHIFT,
        "postgres": POSTGRES,
        "test": TEST,
    },
    classifiers=[
        "Programming Language :: Python :: 3.11",
        "Topic :: Database",
        "Typing :: Typed",
    ],
)
