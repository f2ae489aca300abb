CREATE DATABASE IF NOT EXISTS aitdr ON CLUSTER 'aitdr';

CREATE TABLE IF NOT EXISTS aitdr.schema_migrations ON CLUSTER 'aitdr' (
    version UInt32 COMMENT 'The migration version (the NNNN of NNNN_name.sql).',
    name String COMMENT 'The migration name.',
    checksum String COMMENT 'The hex SHA-256 of the migration file when it was applied.',
    applied_at DateTime64(3, 'UTC') COMMENT 'When it was applied.'
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/schema_migrations', '{replica}', applied_at)
ORDER BY version
COMMENT 'The schema migrations applied to this database (aitdr schemas/clickhouse).';
