package cursor_test

import "os"

func osWrite(name, s string) error { return os.WriteFile(name, []byte(s), 0o600) }
