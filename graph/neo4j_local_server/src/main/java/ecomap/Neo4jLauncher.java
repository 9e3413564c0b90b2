package ecomap;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;

/**
 * Runs one Neo4j Community server per given port, each with a database of its own under
 * {@code <data dir>/<port>}, listening for Bolt on 127.0.0.1 only, with authentication on and the
 * password of user {@code neo4j} set from {@code NEO4J_PASSWORD}.
 *
 * <p>Usage: {@code Neo4jLauncher <data dir> <page cache, e.g. 256m> <transaction memory, e.g. 256m> <port>...}.
 * A transaction that needs more than its memory fails alone; the server keeps running. Prints
 * {@code NEO4J READY bolt://127.0.0.1:<port>} for each server once it accepts connections, and
 * shuts every server down cleanly on SIGTERM or SIGINT.
 */
public final class Neo4jLauncher {
    private Neo4jLauncher() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 4) {
            System.err.println("usage: Neo4jLauncher <data dir> <page cache> <transaction memory> <port>...");
            System.exit(2);
        }
        String password = System.getenv("NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("NEO4J_PASSWORD must be set, with at least 8 characters");
            System.exit(2);
        }
        Path dataDir = Path.of(args[0]).toAbsolutePath();
        List<DatabaseManagementService> servers = new ArrayList<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // each server's shutdown waits on its own network layer: stop them side by side
            servers.parallelStream().forEach(DatabaseManagementService::shutdown);
            stopped.countDown();
        }));
        for (int i = 3; i < args.length; i++) {
            int port = Integer.parseInt(args[i]);
            DatabaseManagementService server = new DatabaseManagementServiceBuilder(dataDir.resolve(args[i]))
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                    .setConfig(GraphDatabaseSettings.auth_enabled, true)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, bytes(args[1]))
                    .setConfig(GraphDatabaseSettings.memory_transaction_max_size, bytes(args[2]))
                    // so that short transaction time limits fire on time (the default checks every 2 s)
                    .setConfig(GraphDatabaseSettings.transaction_monitor_check_interval, Duration.ofMillis(100))
                    // Bolt otherwise waits out a quiet period of several seconds before it stops
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                    .build();
            servers.add(server);
            try {
                setPassword(server, password);
            } catch (RuntimeException e) {
                // Neo4j's own threads would keep the JVM alive without a server anyone can use.
                e.printStackTrace();
                servers.forEach(DatabaseManagementService::shutdown);
                System.exit(1);
            }
            System.out.println("NEO4J READY bolt://127.0.0.1:" + port);
        }
        System.out.flush();
        stopped.await();
    }

    /** Sets the password of user neo4j; a restart with the password it already has changes nothing. */
    private static void setPassword(DatabaseManagementService server, String password) {
        try {
            server.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (QueryExecutionException e) {
            if (!String.valueOf(e.getMessage()).contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }

    /** {@code 256m}, {@code 1g}, {@code 512k} or a plain number of bytes. */
    private static long bytes(String size) {
        String s = size.trim().toLowerCase();
        long unit = switch (s.charAt(s.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1L;
        };
        return Long.parseLong(unit == 1L ? s : s.substring(0, s.length() - 1)) * unit;
    }
}
