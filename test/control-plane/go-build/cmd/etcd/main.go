// etcd's own server/main.go: `go install` refuses etcd's server module because
// of its replace directives, so the binary is built from this copy.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
