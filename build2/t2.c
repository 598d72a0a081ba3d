#include <parley/llm.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc,char**argv){ parley_init();
 struct parley_llm_params p=parley_llm_default_params(); p.n_ctx=512; p.n_threads=1;
 parley_llm*l; if(parley_llm_load(argv[1],p,&l)) {puts(parley_last_error());return 1;}
 const struct parley_llm_info*in=parley_llm_info(l);
 printf("arch %s layers %d ctx_train %d vocab %d params %llu ftype %s tmpl %s hybrid %d\n",in->arch,in->n_layer,in->n_ctx_train,in->n_vocab,(unsigned long long)in->n_params,in->ftype,in->template_used,in->is_hybrid);
 parley_llm_message m[2]={{"system","Be brief."},{"user","Hello there"}};
 char*s; parley_status st=parley_llm_format(l,m,2,true,&s); if(st){puts(parley_last_error());return 1;}
 printf("---\n%s---\n",s); int32_t n; parley_llm_count_tokens(l,s,&n); printf("tokens %d\n",n); free(s);
 parley_llm_free(l); return 0;}
