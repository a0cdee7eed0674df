package mysqlx

import "github.com/ferrydata/ferry/internal/urlparam"

// Params declares the parameters ConnConfig reads: DriverParams, passed to
// go-sql-driver/mysql as written.
var Params = driverTable()

var driverDocs = map[string]string{
	"tls":                      "driver: true, false, skip-verify, preferred or a registered TLS config",
	"charset":                  "driver: connection character set(s), comma-separated",
	"collation":                "driver: connection collation",
	"timeout":                  "driver: connect timeout, handshake included",
	"readTimeout":              "driver: I/O read timeout (0 waits forever)",
	"writeTimeout":             "driver: I/O write timeout (0 waits forever)",
	"compress":                 "driver: compress the protocol",
	"maxAllowedPacket":         "driver: largest packet, bytes (0 reads the server's)",
	"allowCleartextPasswords":  "driver: allow the cleartext authentication plugin",
	"allowNativePasswords":     "driver: allow mysql_native_password",
	"allowOldPasswords":        "driver: allow the old, insecure password method",
	"allowFallbackToPlaintext": "driver: fall back to plaintext when tls=preferred fails",
	"serverPubKey":             "driver: name of a registered server public key",
	"connectionAttributes":     "driver: connection attributes, key:value,...",
	"rejectReadOnly":           "driver: reject a read-only server (failover)",
	"checkConnLiveness":        "driver: check a pooled connection before use",
	"clientFoundRows":          "driver: return matched rather than changed rows",
}

var driverDefaults = map[string]string{
	"timeout": "30s", "readTimeout": "0", "writeTimeout": "0", "compress": "false", "maxAllowedPacket": "67108864",
	"allowCleartextPasswords": "false", "allowNativePasswords": "true", "allowOldPasswords": "false",
	"allowFallbackToPlaintext": "false", "rejectReadOnly": "false", "checkConnLiveness": "true",
	"clientFoundRows": "false", "charset": "", "tls": "false",
}

var driverSamples = map[string]string{
	"charset": "utf8mb4", "collation": "utf8mb4_general_ci", "connectionAttributes": "app:ferry",
}

func driverTable() urlparam.Table {
	t := make(urlparam.Table, len(DriverParams))
	for i, k := range DriverParams {
		doc := driverDocs[k]
		if doc == "" {
			doc = "go-sql-driver/mysql option, passed as written"
		}
		t[i] = urlparam.Param{Name: k, Default: driverDefaults[k], Doc: doc, Sample: driverSamples[k]}
	}
	return t
}
