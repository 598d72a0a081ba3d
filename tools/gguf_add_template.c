/* gguf_add_template: copies a GGUF, adding a chat template (or changing the declared
 * architecture), so that tests of `parley models add` have a valid chat-model file to
 * register and invalid ones to refuse. Not a stand-in generator: tensors are copied.
 *
 *   gguf_add_template IN OUT [--arch NAME] [--no-template]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ggml.h>
#include <gguf.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s IN OUT [--arch NAME] [--no-template]\n", argv[0]);
        return 2;
    }
    const char *arch = NULL;
    int template = 1;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--arch") && i + 1 < argc)
            arch = argv[++i];
        else if (!strcmp(argv[i], "--no-template"))
            template = 0;
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    struct ggml_context *data = NULL;
    struct gguf_init_params gp = {.no_alloc = false, .ctx = &data};
    struct gguf_context *in = gguf_init_from_file(argv[1], gp);
    if (!in) {
        fprintf(stderr, "%s: not a readable GGUF\n", argv[1]);
        return 1;
    }
    struct gguf_context *out = gguf_init_empty();
    gguf_set_kv(out, in);
    for (int64_t i = 0; i < gguf_get_n_tensors(in); i++)
        gguf_add_tensor(out, ggml_get_tensor(data, gguf_get_tensor_name(in, i)));
    if (template)
        gguf_set_val_str(out, "tokenizer.chat_template",
                         "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
                         "{% if add_generation_prompt %}<|assistant|>{% endif %}");
    else
        gguf_remove_key(out, "tokenizer.chat_template");
    if (arch)
        gguf_set_val_str(out, "general.architecture", arch);
    int ok = gguf_write_to_file(out, argv[2], false);
    gguf_free(out);
    gguf_free(in);
    ggml_free(data);
    if (!ok) {
        fprintf(stderr, "%s: write failed\n", argv[2]);
        return 1;
    }
    return 0;
}
