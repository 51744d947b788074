/* svc_offices: vigil.v1.Offices: who the caller is. */
#include "call.h"
#include "svc.h"

#include "vigil/v1/offices.pb-c.h"

static Vigil__V1__Role role_to_proto(enum call_role r)
{
    switch (r) {
    case ROLE_REGIONAL:
        return VIGIL__V1__ROLE__ROLE_REGIONAL;
    case ROLE_CENTRAL:
        return VIGIL__V1__ROLE__ROLE_CENTRAL;
    case ROLE_PARTNER:
        return VIGIL__V1__ROLE__ROLE_PARTNER;
    case ROLE_ANONYMOUS:
        return VIGIL__V1__ROLE__ROLE_ANONYMOUS;
    default:
        return VIGIL__V1__ROLE__ROLE_UNSPECIFIED;
    }
}

void svc_offices_whoami(struct call *c)
{
    const struct call_identity *id = call_identity(c);
    Vigil__V1__WhoAmIResponse resp = VIGIL__V1__WHO_AM_IRESPONSE__INIT;
    Vigil__V1__Office office = VIGIL__V1__OFFICE__INIT;

    resp.role = role_to_proto(id->role);
    resp.certificate_sha256 = (char *)id->sha256;
    resp.certificate_subject = (char *)id->subject;
    if (id->office_id != 0) {
        office.id = id->office_id;
        office.name = (char *)id->office;
        office.role = resp.role;
        office.region = (char *)id->region;
        office.active = true; /* only active offices get this far */
        resp.office = &office;
    }
    call_reply(c, &resp.base);
}
