"""Redshift DDL and KPI views shipped with gluestar (SQL files)."""
