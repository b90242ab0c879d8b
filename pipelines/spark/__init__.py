"""Past one machine (issue 19): the ``sql/`` files, translated for Spark SQL. Needs the optional extra ``spark``."""
