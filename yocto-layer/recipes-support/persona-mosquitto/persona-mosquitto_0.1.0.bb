SUMMARY = "Mosquitto set up for persona: a loopback listener, passwords and persona's ACL"
DESCRIPTION = "A broker configuration and a mosquitto.service drop-in that starts Mosquitto \
with it, in a package of its own instead of a bbappend of mosquitto. Passwords for persona and \
the head unit are generated on the first boot; the ACL is the one in persona's MQTT docs."
SECTION = "console/network"

LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://LICENSE;md5=3b83ef96387f14655fc854ddc3c6bd57"

require recipes-support/persona/persona.inc

SRC_URI += "file://persona-broker.conf \
            file://persona.conf \
            file://persona-mqtt-passwords \
"
S = "${PERSONA_SRCDIR}"

inherit allarch useradd

do_configure[noexec] = "1"
do_compile[noexec] = "1"

PERSONA_MQTT_STATEDIR = "${localstatedir}/lib/persona-mqtt"

do_install() {
    install -D -m 0644 ${S}/docs/mosquitto.acl.example ${D}${sysconfdir}/mosquitto/persona.acl
    sed -i -e 's,persona/demo-ecu/,persona/${PERSONA_ECU_ID}/,g' ${D}${sysconfdir}/mosquitto/persona.acl

    install -D -m 0644 ${PERSONA_UNPACKDIR}/persona-broker.conf ${D}${sysconfdir}/mosquitto/persona-broker.conf
    install -D -m 0644 ${PERSONA_UNPACKDIR}/persona.conf ${D}${systemd_system_unitdir}/mosquitto.service.d/persona.conf
    install -D -m 0755 ${PERSONA_UNPACKDIR}/persona-mqtt-passwords ${D}${libexecdir}/persona/persona-mqtt-passwords
    for file in ${D}${sysconfdir}/mosquitto/persona-broker.conf \
                ${D}${systemd_system_unitdir}/mosquitto.service.d/persona.conf \
                ${D}${libexecdir}/persona/persona-mqtt-passwords; do
        sed -i -e 's,@SYSCONFDIR@,${sysconfdir},g' -e 's,@SBINDIR@,${sbindir},g' \
            -e 's,@BINDIR@,${bindir},g' -e 's,@LIBEXECDIR@,${libexecdir},g' \
            -e 's,@STATEDIR@,${PERSONA_MQTT_STATEDIR},g' $file
    done
}

FILES:${PN} += "${systemd_system_unitdir}/mosquitto.service.d"
CONFFILES:${PN} = "${sysconfdir}/mosquitto/persona-broker.conf ${sysconfdir}/mosquitto/persona.acl"

# mosquitto_passwd is in the mosquitto package.
RDEPENDS:${PN} = "mosquitto"

# The group persona reads persona's broker password.
USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system persona"
