# written by berth for ${name}
zone = ${zone}
