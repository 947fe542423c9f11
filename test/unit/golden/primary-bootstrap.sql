-- Rendered by foobar-infra (components/render/mariadb.ts). Runs at every start; idempotent.
CREATE DATABASE IF NOT EXISTS foobar CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS foobar.visits (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, server VARCHAR(64) NOT NULL, visited_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), request_id VARCHAR(64) NULL, UNIQUE KEY request_id (request_id)) ENGINE=InnoDB;
-- One visit per client request, whatever HAProxy retries: a table made before the column gets it
-- (information_schema and PREPARE, which MariaDB and MySQL 8.4 both have; ADD COLUMN IF NOT EXISTS is MariaDB's only).
SET @foobar_ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'foobar' AND table_name = 'visits' AND column_name = 'request_id') = 0, 'ALTER TABLE foobar.visits ADD COLUMN request_id VARCHAR(64) NULL, ADD UNIQUE KEY request_id (request_id)', 'DO 0');
PREPARE foobar_ddl FROM @foobar_ddl;
EXECUTE foobar_ddl;
DEALLOCATE PREPARE foobar_ddl;
CREATE TABLE IF NOT EXISTS foobar.visit_totals (server VARCHAR(64) PRIMARY KEY, total BIGINT UNSIGNED NOT NULL) ENGINE=InnoDB;
-- The app records and counts visits, nothing more.
CREATE USER IF NOT EXISTS 'app'@'10.77.2.%' IDENTIFIED BY 'AppPassw0rdFakeFakeFakeFakeFake1' REQUIRE SSL;
ALTER USER 'app'@'10.77.2.%' IDENTIFIED BY 'AppPassw0rdFakeFakeFakeFakeFake1' REQUIRE SSL;
GRANT SELECT, INSERT ON foobar.visits TO 'app'@'10.77.2.%';
GRANT SELECT, INSERT, UPDATE ON foobar.visit_totals TO 'app'@'10.77.2.%';
-- Replicas stream the binary log, nothing more.
CREATE USER IF NOT EXISTS 'replicator'@'10.77.2.%' IDENTIFIED BY 'ReplPassw0rdFakeFakeFakeFakeFak2' REQUIRE SSL;
ALTER USER 'replicator'@'10.77.2.%' IDENTIFIED BY 'ReplPassw0rdFakeFakeFakeFakeFak2' REQUIRE SSL;
GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'10.77.2.%';
-- The metrics exporters read server and replication status; no table data.
CREATE USER IF NOT EXISTS 'foobar_monitor'@'10.77.2.%' IDENTIFIED BY 'MoniPassw0rdFakeFakeFakeFakeFak3' REQUIRE SSL WITH MAX_USER_CONNECTIONS 3;
ALTER USER 'foobar_monitor'@'10.77.2.%' IDENTIFIED BY 'MoniPassw0rdFakeFakeFakeFakeFak3' REQUIRE SSL WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO 'foobar_monitor'@'10.77.2.%';
