"""Arrival-date partitions: one per `dt=YYYY-MM-DD` folder found under the events root.

Dynamic, because the logs can be from any past date: the folders decide, not a start date in code.
The sensor (and `nudge run`) register new folders as partitions.
"""

import dagster as dg

ARRIVAL_DATES = "arrival_date"
arrival_date_partitions = dg.DynamicPartitionsDefinition(name=ARRIVAL_DATES)
