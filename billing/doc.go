// Package billing will hold the catalog, contracts, usage metering, the
// invoice run, numbering, tax, credit notes, payments and dunning. It
// imports the core (panel/core/...) and provisioning's event types only;
// plugins register with it. It has no code yet.
package billing
