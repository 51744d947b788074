-- 0005_methodology_ecpat_2012: the first methodology, "ecpat-2012", derived
-- from the founding document (seed/ecpat-2012-calls-to-action.txt) as
-- ../shared/indicators.md fixes it, and the cycle 2009-2012 that uses it.
-- Loaded through the same validation as LoadMethodology, from the same JSON
-- shape (the Methodology message), so that the migration cannot store what
-- the RPC would refuse. `source` keeps each indicator's link to the seed.

SELECT vigil_private.methodology_store($json$
{
  "code": "ecpat-2012",
  "name": "ECPAT International calls to action, 2012",
  "description": "Derived from ECPAT International's 2012 calls to action on the sex trafficking of children (forty-two states assessed over 2009-2012): three areas (protection, prevention, care), sixteen indicators, four bands. The band labels are those of the 2012 rankings; their thresholds are Vigil's defaults, not ECPAT's, which were not published in machine-readable form.",
  "areas": [
    {"code": "PR", "name": "Protection", "weight": 1},
    {"code": "PV", "name": "Prevention", "weight": 1},
    {"code": "CA", "name": "Care", "weight": 1}
  ],
  "scales": [
    {"code": "yes-partial-no", "levels": [
      {"code": "yes", "label": "yes", "has_value": true, "value": 2},
      {"code": "partial", "label": "partial", "has_value": true, "value": 1},
      {"code": "no", "label": "no", "has_value": true, "value": 0},
      {"code": "no_data", "label": "no data", "has_value": false, "value": 0},
      {"code": "not_assessed", "label": "not assessed", "has_value": false, "value": 0}
    ]},
    {"code": "adequacy", "levels": [
      {"code": "none", "label": "none", "has_value": true, "value": 0},
      {"code": "woefully_inadequate", "label": "woefully inadequate", "has_value": true, "value": 1},
      {"code": "adequate", "label": "adequate", "has_value": true, "value": 2},
      {"code": "comprehensive", "label": "comprehensive and specialised", "has_value": true, "value": 3},
      {"code": "no_data", "label": "no data", "has_value": false, "value": 0},
      {"code": "not_assessed", "label": "not assessed", "has_value": false, "value": 0}
    ]}
  ],
  "indicators": [
    {"code": "PR.1", "area": "PR", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Is trafficking of children for sexual purposes a specific criminal offence, with no proof of force or coercion needed for under-18s?",
     "source": "\"failing to sufficiently criminalise the trafficking of children for sex\"",
     "call_to_action": "Criminalise child sex trafficking in line with international standards"},
    {"code": "PR.2", "area": "PR", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Are the laws enforced: traffickers and buyers of child sex prosecuted in the period?",
     "source": "\"laws ... systematically unenforced\"; \"prosecuting traffickers and buyers of child sex\"",
     "call_to_action": "Give the highest priority to enforcing the laws against traffickers and buyers"},
    {"code": "PR.3", "area": "PR", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Have the legal loopholes that let traffickers and buyers act with impunity been closed?",
     "source": "\"failed to close legal loopholes\"",
     "call_to_action": "Close the loopholes that allow impunity"},
    {"code": "PR.4", "area": "PR", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Are child victims protected from being treated as delinquents or criminals?",
     "source": "\"labelling them as delinquents or even criminals\"",
     "call_to_action": "Protect child victims from criminalisation"},
    {"code": "PR.5", "area": "PR", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Is national law harmonised with the Optional Protocol on the sale of children, child prostitution and child pornography?",
     "source": "\"harmonise their national legislation ... Optional Protocol\"",
     "call_to_action": "Harmonise national law with the Optional Protocol"},
    {"code": "PR.6", "area": "PR", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Is national law harmonised with the UN Trafficking Protocol?",
     "source": "\"... and the UN Trafficking Protocol\"",
     "call_to_action": "Harmonise national law with the UN Trafficking Protocol"},
    {"code": "PR.7", "area": "PR", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Is there a specific police unit for children?",
     "source": "\"a specific police unit for children should be created\"",
     "call_to_action": "Create a specific police unit for children"},
    {"code": "PR.8", "area": "PR", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Are child-friendly legal procedures in place and followed?",
     "source": "\"child-friendly legal procedures be adhered to\"",
     "call_to_action": "Adopt and follow child-friendly legal procedures"},
    {"code": "PV.1", "area": "PV", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Is there a National Plan of Action against the commercial sexual exploitation of children, or an anti-trafficking plan with a specific child-trafficking focus?",
     "source": "\"create and/or update their National Plan of Action\"",
     "call_to_action": "Create or update a National Plan of Action with a specific focus on child trafficking"},
    {"code": "PV.2", "area": "PV", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Are teachers educated on child sex trafficking?",
     "source": "\"fail to educate teachers\"",
     "call_to_action": "Educate teachers on child sex trafficking"},
    {"code": "PV.3", "area": "PV", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Do children have access to information on protecting themselves?",
     "source": "\"children have access to information on how best to protect themselves\"",
     "call_to_action": "Give children information on how to protect themselves"},
    {"code": "PV.4", "area": "PV", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Is the subject in school curricula or similar?",
     "source": "\"through school curricula or similar\"",
     "call_to_action": "Include child sex trafficking in school curricula"},
    {"code": "CA.1", "area": "CA", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Do services exist to support child victims of trafficking?",
     "source": "\"approximately 13% ... have no services to support victims\"",
     "call_to_action": "Provide services to support child victims"},
    {"code": "CA.2", "area": "CA", "scale": "adequacy", "weight": 1,
     "applies_when": {"indicator": "CA.1", "levels": ["yes", "partial"]},
     "question": "Are those services adequate? (applies only where CA.1 is yes or partial)",
     "source": "\"over three quarters are woefully inadequate\"",
     "call_to_action": "Strengthen the quality of specialised care and rehabilitation"},
    {"code": "CA.3", "area": "CA", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Are there specialised support services for boys?",
     "source": "\"no specialised support services for boys\"",
     "call_to_action": "Provide specialised services for boys"},
    {"code": "CA.4", "area": "CA", "scale": "yes-partial-no", "weight": 1, "applies_when": null,
     "question": "Is the risk of re-trafficking addressed (reintegration, follow-up)?",
     "source": "\"far more likely to be re-trafficked\"",
     "call_to_action": "Prevent re-trafficking through specialised care and follow-up"}
  ],
  "bands": [
    {"name": "notable efforts", "min_score": "75"},
    {"name": "some progress", "min_score": "50"},
    {"name": "limited measures", "min_score": "25"},
    {"name": "slow progress", "min_score": "0"}
  ],
  "min_coverage": "0.75"
}
$json$::jsonb);

-- The founding cycle. It has no predecessor: the earlier rankings of the seed
-- are not available in machine-readable form.
INSERT INTO cycle (code, methodology_id, status)
SELECT '2009-2012', id, 'open' FROM methodology WHERE code = 'ecpat-2012';

-- On record like any change; office_id NULL = made by the operator, here by
-- this migration.
INSERT INTO audit (action, object, detail) VALUES
    ('methodology.load', 'ecpat-2012',
     '{"by": "migration 0005_methodology_ecpat_2012.sql", "areas": 3, "indicators": 16}'),
    ('cycle.create', '2009-2012',
     '{"by": "migration 0005_methodology_ecpat_2012.sql", "methodology": "ecpat-2012", "predecessor": ""}');
