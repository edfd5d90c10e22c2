package emulator

// PathAtForTest exposes pathAt to the external tests' fuzz target.
var PathAtForTest = pathAt
