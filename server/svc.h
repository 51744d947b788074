/* svc: the service handlers, one file per gRPC service (svc_<service>.c),
 * referenced only by the method table in rpc.c. */
#ifndef VIGIL_SVC_H
#define VIGIL_SVC_H

struct call;

void svc_health_check(struct call *c);   /* svc_health.c */
void svc_offices_whoami(struct call *c); /* svc_offices.c */
void svc_sql_call(struct call *c);       /* svc_sql.c: methods served by SQL functions */

/* vigil.v1.Rankings (svc_rankings.h) */
void svc_rankings_get_ranking(struct call *c);          /* svc_rankings.c */
void svc_rankings_get_history(struct call *c);          /* svc_rankings.c */
void svc_rankings_get_published_inputs(struct call *c); /* svc_rankings.c */
void svc_rankings_get_aggregates(struct call *c);       /* svc_rankings_agg.c */
void svc_rankings_get_card(struct call *c);             /* svc_rankings_card.c */
void svc_rankings_publish(struct call *c);              /* svc_publish.c */

/* vigil.v1.Exchange */
void svc_exchange_changes(struct call *c); /* svc_exchange_changes.c: the feed */
void svc_exchange_export(struct call *c);  /* svc_exchange_export.c */
void svc_exchange_import(struct call *c);  /* svc_exchange_import.c */

#endif
