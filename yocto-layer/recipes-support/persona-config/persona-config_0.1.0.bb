SUMMARY = "persona's configuration: config file, trust root and signed personalities"
DESCRIPTION = "The demo configuration of persona. An integrator replaces it with a bbappend \
or a recipe of their own that installs the same files: their config, their trust root and the \
manifests signed with their keys. Signing keys and unsigned manifest sources are never shipped."
SECTION = "console/utils"

LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://LICENSE;md5=3b83ef96387f14655fc854ddc3c6bd57"

require recipes-support/persona/persona.inc

SRC_URI += "file://persona.config.json"
S = "${PERSONA_SRCDIR}"

inherit allarch

do_configure[noexec] = "1"
do_compile[noexec] = "1"

PERSONA_CONFDIR = "${sysconfdir}/persona"

do_install() {
    install -D -m 0644 ${PERSONA_UNPACKDIR}/persona.config.json ${D}${PERSONA_CONFDIR}/persona.config.json
    sed -i -e 's,@ECU_ID@,${PERSONA_ECU_ID},g' -e 's,@APPDIR@,${PERSONA_APPDIR},g' \
        -e 's,@CONFDIR@,${PERSONA_CONFDIR},g' -e 's,@LOCALSTATEDIR@,${localstatedir},g' \
        ${D}${PERSONA_CONFDIR}/persona.config.json

    install -D -m 0644 ${S}/manifests/policy.json ${D}${PERSONA_CONFDIR}/manifests/policy.json
    install -d ${D}${PERSONA_CONFDIR}/manifests/trust
    install -m 0644 ${S}/manifests/trust/*.json ${D}${PERSONA_CONFDIR}/manifests/trust/
    for mapping in ${S}/manifests/drivers/*/mapping.json; do
        driver=$(basename $(dirname $mapping))
        install -D -m 0644 $mapping ${D}${PERSONA_CONFDIR}/manifests/drivers/$driver/mapping.json
    done
    # Only signed envelopes: the release tarball carries no keys/ and no src/.
    for envelope in ${S}/manifests/*/*.dsse.json; do
        driver=$(basename $(dirname $envelope))
        install -D -m 0644 $envelope ${D}${PERSONA_CONFDIR}/manifests/$driver/$(basename $envelope)
    done
}

CONFFILES:${PN} = "${PERSONA_CONFDIR}/persona.config.json ${PERSONA_CONFDIR}/manifests/policy.json"
