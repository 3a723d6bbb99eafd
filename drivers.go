package main

// The built-in provisioning drivers register themselves by name; a build
// with remote-panel drivers (cPanel/WHM, DirectAdmin, Plesk) adds their
// packages here.
import (
	_ "faktura/provisioning/nginx"
	_ "faktura/provisioning/noop"
)
