package ecomap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * A Neo4j Community DBMS in this JVM with Bolt on loopback, password authentication and nothing else exposed.
 * Options come as --data=DIR --port=N --page-cache=SIZE, or from NEO4J_DATA, NEO4J_PORT, NEO4J_PAGE_CACHE;
 * the password only from NEO4J_PASSWORD, so that it never shows in a process listing.
 * Prints "NEO4J READY bolt://127.0.0.1:PORT" on stdout once a driver can connect; everything else goes to
 * stderr and to DIR/logs.
 */
public final class Neo4jLauncher {
    private static final String HOST = "127.0.0.1";

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        Path home = Path.of(opts.getOrDefault("data", env("NEO4J_DATA", "data/neo4j"))).toAbsolutePath();
        int port = Integer.parseInt(opts.getOrDefault("port", env("NEO4J_PORT", "7687")));
        String pageCache = opts.getOrDefault("page-cache", env("NEO4J_PAGE_CACHE", "256m"));
        String password = env("NEO4J_PASSWORD", "");
        if (password.length() < 8) {
            fail("NEO4J_PASSWORD must be set to at least 8 characters (Neo4j refuses shorter ones)");
        }

        DatabaseManagementService dbms;
        try {
            dbms = new DatabaseManagementServiceBuilder(home)
                    .setConfig(GraphDatabaseSettings.logs_directory, home.resolve("logs"))
                    .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress(HOST))
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                    // Drivers that ask for a routing table must be sent back to this same address.
                    .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
                    .setConfig(HttpConnector.enabled, false)
                    .setConfig(HttpsConnector.enabled, false)
                    .setConfig(GraphDatabaseSettings.auth_enabled, true)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(pageCache))
                    // The default 2 s check makes a 0.5 s transaction timeout fire up to 2 s late.
                    .setConfig(GraphDatabaseSettings.transaction_monitor_check_interval, Duration.ofMillis(100))
                    .setConfig(GraphDatabaseSettings.udc_enabled, false)
                    // Embedded Neo4j drops its user log unless given somewhere to write it.
                    .setUserLogProvider(new Log4jLogProvider(System.err, Level.INFO))
                    .build();
        } catch (RuntimeException e) {
            e.printStackTrace();
            fail("Neo4j did not start: " + rootMessage(e));
            return;
        }
        DatabaseManagementService service = dbms;
        Runtime.getRuntime().addShutdownHook(new Thread(service::shutdown, "neo4j-shutdown"));

        setPassword(service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME), password);
        GraphDatabaseService db = service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(Duration.ofMinutes(2).toMillis())) {
            fail("database " + db.databaseName() + " did not become available");
        }
        awaitBolt(port);
        System.out.println("NEO4J READY bolt://" + HOST + ":" + port);
        System.out.flush();
        // Neo4j's own non-daemon threads keep the JVM up until a signal runs the shutdown hook.
    }

    /** The password given wins on every start, so a data directory never locks out the person who runs it. */
    private static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally("ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (RuntimeException e) {
            // Neo4j refuses to "change" a password to the one already stored; that is the restart case.
            if (!rootMessage(e).contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }

    private static void awaitBolt(int port) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(HOST, port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    fail("Bolt is not accepting connections on " + HOST + ":" + port + ": " + e.getMessage());
                }
                Thread.sleep(50);
            }
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                fail("usage: Neo4jLauncher [--data=DIR] [--port=N] [--page-cache=SIZE]  (password in NEO4J_PASSWORD)");
            }
            opts.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        return opts;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
            text.append(" <- ").append(cause.getMessage());
        }
        return text.toString();
    }

    private static void fail(String message) {
        System.err.println("NEO4J FAILED " + message);
        System.exit(1);
    }
}
