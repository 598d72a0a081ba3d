#include <parley/llm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc,char**argv){ parley_init();
 struct parley_llm_params p=parley_llm_default_params(); p.n_ctx=4096; p.n_threads=1; p.n_batch=atoi(argv[1]);
 parley_llm*l; if(parley_llm_load("/work/shared/models/stories260K.gguf",p,&l)) {puts(parley_last_error());return 1;}
 static char buf[20000]; buf[0]=0; while(strlen(buf)<9000) strcat(buf,"Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog.\n");
 struct parley_llm_request r=parley_llm_default_request(); r.prompt=buf; r.max_tokens=1;
 struct parley_llm_result res; double t=parley_now(); parley_llm_generate(l,&r,&res); printf("full: %.1f ms (prompt %.1f ms, %d tok)\n",(parley_now()-t)*1000,res.stats.prompt_ms,res.stats.n_prompt); parley_llm_result_clear(&res);
 for(int d=5; d<=400; d*=3){ atomic_bool c; atomic_init(&c,false); r.cancel=&c; parley_llm_job*j; parley_llm_start(l,&r,&j); usleep(d*1000); double t0=parley_now(); atomic_store(&c,true); parley_status st=parley_llm_job_wait(j,&res); printf("cancel after %d ms: st %d latency %.1f ms evaluated %d\n",d,st,(parley_now()-t0)*1000,res.stats.n_evaluated); parley_llm_result_clear(&res);}
 return 0;}
