SELECT fingerprint FROM bookkeeping.loaded_partitions WHERE arrival_date = $d
