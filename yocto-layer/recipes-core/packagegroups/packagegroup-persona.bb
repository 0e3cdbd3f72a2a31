SUMMARY = "persona: the daemon, its kernel module, its configuration and a local broker"

LICENSE = "MIT"

inherit packagegroup

# The configuration package; an integrator with a recipe of their own names it here.
PERSONA_CONFIG_PACKAGE ??= "persona-config"

RDEPENDS:${PN} = "persona ${PERSONA_CONFIG_PACKAGE} persona-kmod persona-mosquitto"
