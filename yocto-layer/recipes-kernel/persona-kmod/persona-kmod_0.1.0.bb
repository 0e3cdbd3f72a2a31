SUMMARY = "persona.ko (/dev/persona) and the persona_vnic.ko demo driver"
DESCRIPTION = "persona.ko registers drivers' runtime parameters and applies personalities \
all-or-nothing through /dev/persona; persona_vnic.ko is a demo network driver (pvnic) that \
registers with it."
SECTION = "kernel/modules"

LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://COPYING;md5=b234ee4d69f5fce4486a80fdaf4a4263"

require recipes-support/persona/persona.inc

S = "${PERSONA_SRCDIR}/kmod"

inherit module useradd

EXTRA_OEMAKE += "KDIR=${STAGING_KERNEL_DIR}"

# Packages kernel-module-persona and kernel-module-persona-vnic; only persona.ko loads at
# boot, a real ECU's drivers register with it themselves.
KERNEL_MODULE_AUTOLOAD += "persona"

do_install:append() {
    # The UAPI header, for the SDK (persona-kmod-dev).
    install -D -m 0644 ${S}/include/uapi/linux/persona.h ${D}${includedir}/linux/persona.h
    install -D -m 0644 ${S}/99-persona.rules ${D}${nonarch_base_libdir}/udev/rules.d/99-persona.rules
}

# module.bbclass leaves this package empty, depending on the modules: it carries the udev
# rule that gives /dev/persona mode 0660 and group persona.
FILES:${PN} += "${nonarch_base_libdir}/udev/rules.d/99-persona.rules"

USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system persona"
