/*
 * fuzz_config.c - arbitrary bytes as a YAML configuration: every document either loads into a
 * configuration that prints and reloads to the same text, or fails with a positioned message.
 * The caps on size, depth, nodes and aliases keep every input cheap.
 */
#include <refnet/report.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print(const rn_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	rn_error err;
	if (!out)
		return NULL;
	int rc = rn_config_write_yaml(cfg, out, &err);
	fclose(out);
	if (rc != RN_OK) {
		free(text);
		return NULL;
	}
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rn_config cfg;
	rn_error err;
	rn_error_clear(&err);
	int rc = rn_config_load_string(&cfg, (const char *)data, size, "fuzz.yaml", "/", &err);
	if (rc != RN_OK) {
		if (!err.message[0] || (rc != RN_ECONFIG && rc != RN_ENOMEM))
			__builtin_trap();
		rn_config_free(&cfg);
		return 0;
	}
	/* a loaded configuration prints and reloads to the same text */
	char *first = print(&cfg);
	if (!first)
		__builtin_trap();
	rn_config again;
	if (rn_config_load_string(&again, first, strlen(first), "printed.yaml", "/", &err) !=
	    RN_OK)
		__builtin_trap();
	char *second = print(&again);
	if (!second || strcmp(first, second) != 0)
		__builtin_trap();
	free(first);
	free(second);
	rn_config_free(&again);
	rn_config_free(&cfg);
	return 0;
}
