-- Rendered by foobar-infra (components/render/mariadb.ts). Runs at every start; idempotent.
-- Everything, users and schema included, arrives from the primary through replication.
STOP SLAVE;
-- Over TLS, verifying that the primary is the one its certificate names.
CHANGE MASTER TO MASTER_HOST = '10.77.2.3', MASTER_PORT = 3306, MASTER_USER = 'replicator', MASTER_PASSWORD = 'ReplPassw0rdFakeFakeFakeFakeFak2', MASTER_SSL = 1, MASTER_SSL_CA = '/etc/foobar/db-ca.pem', MASTER_SSL_VERIFY_SERVER_CERT = 1, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 2;
START SLAVE;
